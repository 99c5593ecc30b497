"""One thread that holds every ChatKit thread item type, written through the app's real store
(and its real upload endpoint for the attachments), for the history browser's tests.

`await seed_every_item_type(client)` returns a `SeededThread` with the thread id and every
item's id and type, in order. The image attachment is a real PNG uploaded through `POST
/chatkit/api/upload`, so the page later gets a signed same-origin preview URL for it from
`items.list`, exactly as for a picture a user attached.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from chatkit.types import (
    Annotation,
    AssistantMessageContent,
    AssistantMessageItem,
    ClientToolCallItem,
    CustomSummary,
    CustomTask,
    DurationSummary,
    EndOfTurnItem,
    EntitySource,
    FileSource,
    FileTask,
    GeneratedImage,
    GeneratedImageItem,
    ImageTask,
    InferenceOptions,
    SearchTask,
    StructuredInputItem,
    TaskItem,
    ThoughtTask,
    ThreadItem,
    ThreadMetadata,
    URLSource,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
    WidgetItem,
    Workflow,
    WorkflowItem,
)

from chatkit_desktop.context import RequestContext
from chatkit_desktop.http.keys import SERVICES
from tests.support.chatkit_client import AUTH

THREAD_TITLE = "Every item type"
LONG_CODE_LINE = (
    "    return days * 120  # a deliberately long line: "
    + "it must scroll inside its own block and never widen the page " * 3
)
ASSISTANT_MARKDOWN = f"""## Weekend in Lyon

Here is a plan:

- Saturday: **Vieux Lyon** and the traboules
- Sunday: the Musée des Confluences

| Day | Place | Cost |
| --- | --- | --- |
| Saturday | Fourvière | free |
| Sunday | Confluences | 12 € |

```python
def budget(days):
{LONG_CODE_LINE}
```

Raw HTML stays text: <script>alert(1)</script> and <img src=x onerror="alert(2)">.

![x](https://example.com/x.png)

[Tourist office](https://www.lyon-france.com/) and [not a link](javascript:alert(3)).
"""
CODE_TEXT = f"def budget(days):\n{LONG_CODE_LINE}"


def png_bytes(
    width: int = 24, height: int = 16, rgb: tuple[int, int, int] = (40, 120, 200)
) -> bytes:
    """A real PNG image of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


GENERATED_PNG_URL = "data:image/png;base64," + base64.b64encode(
    png_bytes(32, 20, (200, 90, 40))
).decode("ascii")


@dataclass
class SeededThread:
    thread_id: str
    ids: dict[str, str] = field(default_factory=dict)  # item id -> item type, in order
    image_attachment_id: str = ""
    file_attachment_id: str = ""


async def upload(client: TestClient, data: bytes, filename: str, content_type: str) -> str:
    """Upload through the app's real endpoint; returns the attachment id."""
    body = FormData(quote_fields=False)
    body.add_field("file", data, filename=filename, content_type=content_type)
    resp = await client.post("/chatkit/api/upload", data=body, headers=AUTH)
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["id"])


def widget_tree() -> dict[str, Any]:
    return {
        "type": "Card",
        "children": [
            {"type": "Title", "value": "Hotel Le Royal"},
            {"type": "Text", "value": "Place Bellecour, three nights"},
            {
                "type": "Markdown",
                "value": "**Breakfast** included. <script>alert(4)</script>\n\n"
                "![remote](https://example.com/hotel.png)",
            },
            {
                "type": "ListView",
                "children": [
                    {
                        "type": "ListViewItem",
                        "children": [{"type": "Text", "value": "Room 12, view on the square"}],
                    },
                    {
                        "type": "ListViewItem",
                        "children": [{"type": "Text", "value": "Room 14, quiet courtyard"}],
                    },
                ],
            },
            {"type": "Image", "src": "https://example.com/royal.jpg", "alt": "The hotel front"},
            {
                "type": "Row",
                "children": [
                    {"type": "Badge", "label": "4 stars", "color": "info"},
                    {"type": "Caption", "value": "Free cancellation"},
                ],
            },
            {"type": "Divider"},
            {
                "type": "Select",
                "name": "room",
                "placeholder": "Choose a room",
                "options": [
                    {"value": "12", "label": "Room 12"},
                    {"value": "14", "label": "Room 14"},
                ],
            },
            {
                "type": "Checkbox",
                "name": "breakfast",
                "label": "Add breakfast",
                "defaultChecked": True,
            },
            {"type": "Input", "name": "guest", "placeholder": "Guest name"},
            {"type": "DatePicker", "name": "arrival", "defaultValue": "2026-12-05T00:00:00"},
            {
                "type": "Chart",
                "data": [{"night": "Fri", "price": 140}, {"night": "Sat", "price": 160}],
                "series": [{"type": "bar", "label": "Price", "dataKey": "price"}],
                "xAxis": "night",
            },
            {"type": "Sparkle", "value": "An unknown component's words"},
            {
                "type": "Button",
                "label": "Book now",
                "style": "primary",
                "onClickAction": {"type": "book", "payload": {"room": "12"}},
            },
        ],
        "confirm": {"label": "Confirm booking", "action": {"type": "confirm"}},
    }


def structured_input_data() -> dict[str, Any]:
    return {
        "status": "answered",
        "inputs": [
            {
                "type": "multiple_choice",
                "id": "day",
                "question": "Which day suits you best?",
                "options": [{"value": "Saturday"}, {"value": "Sunday"}],
                "answer": {"values": ["Sunday"]},
            },
            {
                "type": "freeform",
                "id": "diet",
                "question": "Any dietary needs?",
                "description": "For the restaurant booking.",
                "answer": {"values": ["Vegetarian"]},
            },
        ],
    }


async def seed_every_item_type(client: TestClient) -> SeededThread:
    image_id = await upload(client, png_bytes(), "old town.png", "image/png")
    file_id = await upload(client, b"# Notes\n\nBring an umbrella.\n", "notes.md", "text/markdown")

    services = await client.app[SERVICES].get()
    store = services.store
    context = RequestContext()
    start = datetime.now() - timedelta(hours=1)  # naive local time, as the SDK stamps items
    thread = ThreadMetadata(id="thr_everyitem", title=THREAD_TITLE, created_at=start)
    await store.save_thread(thread, context)

    # The attachments now belong to the thread (the SDK does this when a message uses them).
    image = await store.load_attachment(image_id, context)
    file = await store.load_attachment(file_id, context)
    for attachment in (image, file):
        attachment.thread_id = thread.id
        await store.save_attachment(attachment, context)

    seeded = SeededThread(thread.id, image_attachment_id=image_id, file_attachment_id=file_id)
    moment = iter(start + timedelta(seconds=n) for n in range(1, 100))
    base = {"thread_id": thread.id}

    def stamp() -> dict[str, Any]:
        return {**base, "created_at": next(moment)}

    items: list[ThreadItem] = [
        UserMessageItem(
            id="msg_user",
            **stamp(),
            content=[
                UserMessageTextContent(text="Plan a weekend in "),
                UserMessageTagContent(id="tag_lyon", text="Lyon", data={"city": "Lyon"}),
                UserMessageTextContent(text=" with my notes, please."),
            ],
            attachments=[image, file],
            quoted_text="The old town is called Vieux Lyon.",
            inference_options=InferenceOptions(),
        ),
        WorkflowItem(
            id="wf_plan",
            **stamp(),
            workflow=Workflow(
                type="custom",
                summary=CustomSummary(title="Planned the trip"),
                tasks=[
                    CustomTask(title="Checked the calendar", content="Free on **Saturday**."),
                    SearchTask(
                        title_query="Lyon hotels",
                        queries=["hotels Lyon Bellecour", "Lyon weekend ideas"],
                        sources=[URLSource(title="Hotel guide", url="https://example.org/hotels")],
                        status_indicator="complete",
                    ),
                    ThoughtTask(content="The user prefers the old town."),
                    FileTask(
                        title="Read your notes",
                        sources=[FileSource(title="Trip notes", filename="notes.md")],
                    ),
                    ImageTask(title="Drew a map"),
                ],
            ),
        ),
        WorkflowItem(
            id="wf_think",
            **stamp(),
            workflow=Workflow(
                type="reasoning",
                summary=DurationSummary(duration=65),
                tasks=[ThoughtTask(content="Comparing two hotels.")],
            ),
        ),
        AssistantMessageItem(
            id="msg_assistant",
            **stamp(),
            content=[
                AssistantMessageContent(
                    text=ASSISTANT_MARKDOWN,
                    annotations=[
                        Annotation(
                            source=URLSource(
                                title="Lyon tourist office", url="https://www.lyon-france.com/"
                            )
                        ),
                        Annotation(source=FileSource(title="Trip notes", filename="notes.md")),
                        Annotation(
                            source=EntitySource(
                                id="ent_fourviere", title="Fourvière basilica", label="Landmark"
                            )
                        ),
                    ],
                )
            ],
        ),
        WidgetItem.model_validate(
            {**stamp(), "id": "wdg_hotel", "widget": widget_tree(), "copy_text": "Hotel Le Royal"}
        ),
        TaskItem(
            id="tsk_saved",
            **stamp(),
            task=CustomTask(title="Saved the plan", content="In your notes."),
        ),
        ClientToolCallItem(
            id="tc_weather",
            **stamp(),
            status="completed",
            call_id="call_weather",
            name="get_weather",
            arguments={"city": "Lyon", "days": 2},
            output={"forecast": "sunny", "high_c": 21},
        ),
        GeneratedImageItem(
            id="img_map", **stamp(), image=GeneratedImage(id="gen_map", url=GENERATED_PNG_URL)
        ),
        StructuredInputItem.model_validate(
            {**stamp(), "id": "si_prefs", **structured_input_data()}
        ),
        EndOfTurnItem(id="eot_1", **stamp()),
    ]
    for item in items:
        await store.add_thread_item(thread.id, item, context)
        seeded.ids[item.id] = item.type
    return seeded


ITEM_TYPES = (
    "user_message",
    "assistant_message",
    "widget",
    "workflow",
    "task",
    "client_tool_call",
    "generated_image",
    "structured_input",
    "end_of_turn",
)
