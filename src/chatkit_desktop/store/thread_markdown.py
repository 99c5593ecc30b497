"""A thread as Markdown, for reading and sharing (the JSON export is the one to re-import)."""

from __future__ import annotations

import json
from datetime import datetime

from chatkit.types import (
    AssistantMessageItem,
    ClientToolCallItem,
    EndOfTurnItem,
    GeneratedImageItem,
    StructuredInputItem,
    TaskItem,
    Thread,
    ThreadItem,
    UserMessageItem,
    UserMessageTextContent,
    WidgetItem,
    WorkflowItem,
)

from chatkit_desktop.store.search_text import item_document


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def thread_markdown(thread: Thread) -> str:
    # A heading is one line: a title holding a line break would spill into the text below.
    title = " ".join((thread.title or "").split()) or "Untitled"
    lines = [f"# {title}", "", f"*Started {_when(thread.created_at)}*", ""]
    for item in thread.items.data:
        block = _item_markdown(item)
        if block:
            lines.extend([block, ""])
    return "\n".join(lines).rstrip() + "\n"


def _item_markdown(item: ThreadItem) -> str | None:
    when = _when(item.created_at)
    if isinstance(item, UserMessageItem):
        parts = [f"## You · {when}", ""]
        if item.quoted_text:
            parts += [_quote(item.quoted_text), ""]
        parts.append(
            "".join(
                part.text if isinstance(part, UserMessageTextContent) else f"`{part.text}`"
                for part in item.content
            )
        )
        for attachment in item.attachments:
            parts.append(f"\n📎 {attachment.name} ({attachment.mime_type})")
        return "\n".join(parts)
    if isinstance(item, AssistantMessageItem):
        parts = [f"## Assistant · {when}", ""]
        parts.append("\n\n".join(part.text for part in item.content))
        sources = [annotation.source for part in item.content for annotation in part.annotations]
        if sources:
            parts.append("\nSources:")
            for source in sources:
                url = getattr(source, "url", None)
                parts.append(f"- [{source.title}]({url})" if url else f"- {source.title}")
        return "\n".join(parts)
    if isinstance(item, WidgetItem | TaskItem | WorkflowItem):
        document = item_document(item.model_dump(mode="json"))
        label = {"widget": "Widget", "task": "Task", "workflow": "Workflow"}[item.type]
        # One paragraph per line of text: Markdown would run single lines together.
        body = "\n\n".join(line for line in document[1].splitlines() if line) if document else ""
        return f"### {label} · {when}\n\n{body}".rstrip()
    if isinstance(item, ClientToolCallItem):
        arguments = json.dumps(item.arguments, ensure_ascii=False, indent=2)
        text = f"### Tool call `{item.name}` ({item.status}) · {when}\n\n```json\n{arguments}\n```"
        if item.output is not None:
            output = json.dumps(item.output, ensure_ascii=False, indent=2, default=str)
            text += f"\n\nOutput:\n\n```json\n{output}\n```"
        return text
    if isinstance(item, GeneratedImageItem):
        url = item.image.url if item.image else None
        return f"### Generated image · {when}\n\n" + (f"![image]({url})" if url else "(pending)")
    if isinstance(item, StructuredInputItem):
        parts = [f"### Questions · {when}", ""]
        for question in item.inputs:
            answer = ", ".join(question.answer.values) if question.answer else "(no answer)"
            parts.append(f"- {question.question} — {answer}")
        return "\n".join(parts)
    if isinstance(item, EndOfTurnItem):
        return None
    return None  # hidden context: for the model, not for people
