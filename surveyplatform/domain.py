"""The one error type of the domain, which every front end turns into its own answer.

A domain function refuses a request by raising one of these, with a message written for
the person who asked. The console shows it as a message or a form error, the API as a JSON
error with the matching status, Django admin as an admin message, a management command
as its error output. The kind decides the status where one is needed:

- `NotFound` (404): no such object among those the actor may see. An object of a council
  the actor holds no role in is refused this way too, so a refusal never confirms that
  another council's object exists.
- `NotAllowed` (403): the actor may see the object but their role does not allow this.
- `InvalidState` (409): the object is not in a state that allows the change.
- `InvalidInput` (400): the request itself is wrong; `fields` names each bad field.
"""


class ActionRefused(Exception):
    """A request the domain refuses; nothing was changed."""

    code = "invalid"

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = str(message)
        self.fields = fields or {}

    def __str__(self) -> str:
        return self.message


class NotFound(ActionRefused):
    code = "not_found"


class NotAllowed(ActionRefused):
    code = "forbidden"


class InvalidState(ActionRefused):
    code = "conflict"


class InvalidInput(ActionRefused):
    code = "invalid"
