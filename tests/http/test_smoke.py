from tests.support.chatkit_client import assistant_text, call, stream, thread_id_of, user_input


async def test_create_thread_streams_an_answer_and_persists_it(client, openai_server):
    scripted, _ = openai_server
    events = await stream(client, "threads.create", {"input": user_input("Hello there")})
    assert assistant_text(events) == "You said: Hello there"
    thread_id = thread_id_of(events)
    items = await call(client, "items.list", {"thread_id": thread_id, "order": "asc"})
    kinds = [(i["type"], i["content"][0].get("text")) for i in items["data"]]
    assert kinds == [
        ("user_message", "Hello there"),
        ("assistant_message", "You said: Hello there"),
    ]
    assert scripted.requests[0].authorization == "Bearer sk-test-FAKEKEY-0000000000000000"
