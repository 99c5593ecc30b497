"""The reasoning layer: the ChatKitServer subclass that answers with an Agents SDK agent."""
