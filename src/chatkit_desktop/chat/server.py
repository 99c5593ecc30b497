"""The ChatKitServer that answers with an Agents SDK agent over the thread's stored history.

The protocol (requests, events, persistence of streamed items) is the SDK's; this class adds the
reasoning: which model, what history, what title, and provider errors in words.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import openai
from agents import Agent, RunConfig, Runner
from agents.exceptions import ModelBehaviorError
from chatkit.agents import AgentContext, stream_agent_response
from chatkit.errors import CustomStreamError
from chatkit.server import ChatKitServer, NonStreamingResult, StreamingResult
from chatkit.store import NotFoundError
from chatkit.types import (
    AssistantMessageItem,
    ChatKitReq,
    FeedbackKind,
    ItemsListReq,
    NoticeEvent,
    SDKHiddenContextItem,
    ThreadItem,
    ThreadItemDoneEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    ThreadUpdatedEvent,
    UserMessageItem,
    is_streaming_req,
)
from pydantic import TypeAdapter

from chatkit_desktop.chat import event_merge
from chatkit_desktop.chat.errors import describe_provider_error
from chatkit_desktop.chat.history import (
    DesktopItemConverter,
    attachment_support,
    load_history,
    unreadable_notice,
)
from chatkit_desktop.chat.history_tail import HistoryTail
from chatkit_desktop.chat.item_ids import AssistantIdRemapper
from chatkit_desktop.chat.item_state import (
    annotate_page,
    stopped_ids,
    wants_item_state,
    with_stopped,
)
from chatkit_desktop.chat.pacing import PacedModel
from chatkit_desktop.chat.partial_answers import PartialAnswers
from chatkit_desktop.chat.title_generation import generate_title
from chatkit_desktop.chat.titles import message_text, title_from_message
from chatkit_desktop.chat.tools import TOOLS
from chatkit_desktop.context import RequestContext
from chatkit_desktop.providers.config import ProviderConfigError
from chatkit_desktop.providers.factory import ModelFactory
from chatkit_desktop.settings.preferences import Preferences
from chatkit_desktop.store.attachment_files import AttachmentFiles
from chatkit_desktop.store.sqlite_store import SQLiteStore

log = logging.getLogger(__name__)

# The SDK's `process` builds this parser anew for every request (5-7 ms each, most of what a
# `threads.list` costs); built once, it takes microseconds.
_REQUEST: TypeAdapter[ChatKitReq] = TypeAdapter(ChatKitReq)

DEFAULT_INSTRUCTIONS = (
    "You are a helpful assistant in a desktop chat app. Answer clearly and concisely; "
    "use Markdown where it helps."
)


class DesktopChatKitServer(ChatKitServer[RequestContext]):
    def __init__(
        self,
        store: SQLiteStore,
        models: ModelFactory,
        *,
        preferences: Callable[[], Preferences] = Preferences,
        attachments: AttachmentFiles | None = None,
        instructions: str = DEFAULT_INSTRUCTIONS,
        tracing: bool = False,
        generate_titles: bool | None = None,
    ) -> None:
        # Attachment bytes live beside the database (DataPaths.attachments) unless told otherwise.
        self.files = attachments or AttachmentFiles(store.path.parent / "attachments", store)
        super().__init__(store, self.files)
        event_merge.install()
        self.sqlite = store
        self.models = models
        self.preferences = preferences
        self.instructions = instructions
        self._tracing_flag = tracing
        self._titles_flag = generate_titles

    @property
    def tracing(self) -> bool:
        """Opted in on the command line or in Settings; off otherwise."""
        return self._tracing_flag or self.preferences().tracing

    @property
    def generate_titles(self) -> bool:
        if self._titles_flag is not None:
            return self._titles_flag
        return self.preferences().generate_titles

    async def add_feedback(
        self,
        thread_id: str,
        item_ids: list[str],
        feedback: FeedbackKind,
        context: RequestContext,
    ) -> None:
        await self.sqlite.set_feedback(thread_id, item_ids, feedback, context)

    async def process(
        self, request: str | bytes | bytearray, context: RequestContext
    ) -> StreamingResult | NonStreamingResult:
        """The SDK's `process`, with the request parser built once instead of per request."""
        parsed = _REQUEST.validate_json(request)
        if is_streaming_req(parsed):
            return StreamingResult(self._process_streaming(parsed, context))
        result = await self._process_non_streaming(parsed, context)
        if isinstance(parsed, ItemsListReq) and wants_item_state(parsed.metadata):
            result = await self._with_item_state(parsed.params.thread_id, result, context)
        return NonStreamingResult(result)

    async def _with_item_state(
        self, thread_id: str, page_json: bytes, context: RequestContext
    ) -> bytes:
        """`items.list` for the built-in client: stopped answers and feedback marked."""
        thread = await self.store.load_thread(thread_id, context)
        feedback = await self.sqlite.load_feedback(thread_id, context)
        return annotate_page(page_json, stopped_ids(thread), feedback)

    async def handle_stream_cancelled(
        self,
        thread: ThreadMetadata,
        pending_items: list[ThreadItem],
        context: RequestContext,
    ) -> None:
        """The SDK's (the partial answer and a hidden note for the model are stored), and the
        answers it stored are recorded as stopped, so a client can say so after a reload."""
        await super().handle_stream_cancelled(thread, pending_items, context)
        saved = [
            item.id
            for item in pending_items
            if isinstance(item, AssistantMessageItem)
            and any(part.text.strip() for part in item.content)
        ]
        if saved:
            # The stored thread, not ChatKit's copy: a title may have changed during the turn.
            # A thread moved to the trash meanwhile keeps its answer, unmarked.
            with contextlib.suppress(NotFoundError):
                stored = await self.store.load_thread(thread.id, context)
                await self.store.save_thread(with_stopped(stored, saved), context)

    async def respond(
        self,
        thread: ThreadMetadata,
        input_user_message: UserMessageItem | None,
        context: RequestContext,
    ) -> AsyncIterator[ThreadStreamEvent]:
        first_title: str | None = None
        if input_user_message is not None and not thread.title:
            first_title = title_from_message(input_user_message)
        if first_title is not None:
            # Stored and announced now, before the model answers: a database write during a
            # fast stream would hold the answer back. `thread` (ChatKit's object) is left as it
            # was: ChatKit saves and announces it whenever it differs from its own copy, which
            # would write the title a second time, mid-stream.
            titled = thread.model_copy(update={"title": first_title})
            await self.store.save_thread(titled, context)
            yield ThreadUpdatedEvent(thread=self._to_thread_response(titled))

        model_name = self._chosen_model(input_user_message)
        try:
            # In a worker thread: the key may come from the OS keyring over D-Bus.
            chosen = await asyncio.to_thread(self.models.create_model, model_name)
        except ProviderConfigError as exc:
            raise CustomStreamError(str(exc), allow_retry=True) from exc
        target = chosen.target

        support = attachment_support(target.info)
        if input_user_message is not None:
            notice = unreadable_notice(input_user_message.attachments, support)
            if notice:
                yield NoticeEvent(level="warning", title="Attachment not readable", message=notice)
        history = await load_history(self.store, thread.id, context)
        converter = DesktopItemConverter(self.files, support)
        agent_input = await converter.to_agent_input(history)
        agent = Agent[AgentContext[RequestContext]](
            name="Assistant",
            instructions=self.instructions,
            model=PacedModel(chosen.model),
            tools=TOOLS,
        )
        agent_context = AgentContext[RequestContext](
            thread=thread,
            # ChatKit's first read of the newest items is answered from `history`.
            store=HistoryTail(self.store, thread.id, history),
            request_context=context,
        )
        result = Runner.run_streamed(
            agent,
            agent_input,
            context=agent_context,
            run_config=RunConfig(tracing_disabled=not self.tracing),
        )
        remapper = AssistantIdRemapper(
            lambda: self.store.generate_item_id("message", thread, context)
        )
        partial = PartialAnswers()
        answer: list[str] = []
        try:
            async for sdk_event in stream_agent_response(agent_context, result):
                event = remapper.remap(sdk_event)
                partial.observe(event)
                yield event
                if isinstance(event, ThreadItemDoneEvent) and isinstance(
                    event.item, AssistantMessageItem
                ):
                    answer.extend(part.text for part in event.item.content)
        except (openai.OpenAIError, ModelBehaviorError) as exc:
            words = describe_provider_error(
                exc, base_url=target.base_url, model=target.model, provider=target.info
            )
            log.warning("Provider error in thread %s: %s", thread.id, words)
            async for event in self._keep_partial(thread, partial, context):
                yield event
            raise CustomStreamError(words, allow_retry=True) from exc
        except CustomStreamError:
            raise
        except Exception as exc:
            error_id = secrets.token_hex(4)
            log.exception("Answer failed in thread %s (error id %s)", thread.id, error_id)
            async for event in self._keep_partial(thread, partial, context):
                yield event
            raise CustomStreamError(
                f"The answer failed unexpectedly ({type(exc).__name__}). Retry; the log has "
                f"details under error id {error_id}.",
                allow_retry=True,
            ) from exc
        finally:
            result.cancel()

        if first_title is not None and input_user_message is not None and self.generate_titles:
            better = await generate_title(
                chosen.model,
                message_text(input_user_message),
                "".join(answer),
                tracing=self.tracing,
            )
            # Unless the user renamed the thread meanwhile (in the store, not in this copy).
            # `thread` still has ChatKit's title (none): a title set here makes ChatKit save
            # `thread` after this and announce it; none leaves the stored first title.
            stored = await self.store.load_thread(thread.id, context)
            if stored.title != first_title:
                thread.title = stored.title
            elif better:
                thread.title = better

    async def _keep_partial(
        self, thread: ThreadMetadata, partial: PartialAnswers, context: RequestContext
    ) -> AsyncIterator[ThreadStreamEvent]:
        """Finish (and so store) what was already said, and tell the model it was cut off."""
        finished = partial.finish()
        for event in finished:
            yield event
        if finished:
            yield ThreadItemDoneEvent(
                item=SDKHiddenContextItem(
                    id=self.store.generate_item_id("sdk_hidden_context", thread, context),
                    thread_id=thread.id,
                    created_at=datetime.now(),
                    content="The previous answer was cut off by an error before it finished.",
                )
            )

    def _chosen_model(self, message: UserMessageItem | None) -> str | None:
        if message is not None and message.inference_options.model:
            return message.inference_options.model
        return None
