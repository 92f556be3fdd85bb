"""The one error vocabulary of zhidu's services.

Services raise these; the API turns them into ``{code, message, errors: [{field, message}]}``,
pages show them next to the fields, the CLI prints them. Messages are translatable and name the
field and, where a rule decided, the clause id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str | Promise


@dataclass
class ZhiduError(Exception):
    message: str | Promise
    errors: list[FieldError] = field(default_factory=list)
    code: str = "error"
    status: int = 400

    def __str__(self) -> str:
        parts = [str(self.message)] + [f"{e.field}: {e.message}" for e in self.errors]
        return "; ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": str(self.message),
            "errors": [{"field": e.field, "message": str(e.message)} for e in self.errors],
        }


class ValidationFailed(ZhiduError):
    def __init__(self, message: str | Promise, errors: list[FieldError] | None = None) -> None:
        super().__init__(message, errors or [], "validation_error", 422)


class PermissionDeniedError(ZhiduError):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(message, [], "permission_denied", 403)


class NotFoundError(ZhiduError):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(message, [], "not_found", 404)
