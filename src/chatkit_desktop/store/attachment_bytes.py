"""The SDK's `AttachmentStore` for a build that stores no attachment bytes yet.

Attachment metadata lives in `SQLiteStore`; uploads (the bytes) arrive with the desktop window.
Until then two-phase `attachments.create` is refused in words, and deleting an attachment only
has metadata to remove.
"""

from __future__ import annotations

from chatkit.store import AttachmentStore
from chatkit.types import Attachment, AttachmentCreateParams

from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.ids import new_id


class UploadsNotSupportedError(NotImplementedError):
    """Raised for a feature this version does not offer; the HTTP layer answers 501."""


class MetadataOnlyAttachmentStore(AttachmentStore[RequestContext]):
    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        return None

    async def create_attachment(
        self, input: AttachmentCreateParams, context: RequestContext
    ) -> Attachment:
        raise UploadsNotSupportedError(
            "This version of chatkit-desktop does not accept uploads yet."
        )

    def generate_attachment_id(self, mime_type: str, context: RequestContext) -> str:
        # The SDK's default carries 32 random bits; ours are as long as every other id (`ids`).
        return new_id("attachment")
