"""The [icm] section of pbx.toml: ICM's service number, its sources in order, and the CRMs.

Secrets (a CRM token, password or webhook) are given inline or as a file that
holds them (``*_file``), so pbx.toml can be shared without them. Inline ones
are ``SecretStr``: printed, logged or dumped to JSON they show as ``**********``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator

from firmware.config.base import ExtensionNumber, Seconds, Section
from firmware.config.target import Target

SourceName = Literal["history", "amocrm", "bitrix24", "megaplan"]
CRM_SOURCES: tuple[SourceName, ...] = ("amocrm", "bitrix24", "megaplan")
DEFAULT_SOURCES: tuple[SourceName, ...] = ("history",)
Url = Annotated[str, Field(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$")]


def _user_id(value: str) -> str:
    if not value.isdigit() or len(value) > 20:
        raise ValueError(f"{value!r}: give the CRM user's id (digits), as its user list shows it")
    return value


#: A CRM user's id: the answers of all three CRMs name users by id.
CrmUser = Annotated[str, AfterValidator(_user_id)]


def _absolute(path: Path) -> Path:
    if not path.is_absolute():
        raise ValueError(f"{str(path)!r}: give the whole path, /etc/minipbx/...")
    return path


SecretFile = Annotated[Path, AfterValidator(_absolute)]


def read_secret(inline: SecretStr | None, file: Path | None) -> str | None:
    """The secret itself, from pbx.toml or from its file (surrounding whitespace dropped).

    Read when a CRM client is built, not when the config is checked, so a file
    made readable later needs only a reload. Raises OSError when it cannot be read.
    """
    if inline is not None:
        return inline.get_secret_value()
    if file is not None:
        return file.read_text(encoding="utf-8").strip()
    return None


def _at_most_one(section: Section, *pairs: tuple[str, str]) -> None:
    for inline, file in pairs:
        if getattr(section, inline) is not None and getattr(section, file) is not None:
            raise ValueError(f"give {inline} or {file}, not both")


class CrmSource(Section):
    """What every CRM source takes: whose extension each CRM user is, and how long to cache."""

    users: dict[CrmUser, ExtensionNumber] = Field(
        default_factory=dict, description="CRM user id -> extension"
    )
    cache_seconds: float = Field(60, ge=0, le=86400, description="answers per number kept")


class AmoCrm(CrmSource):
    """amoCRM: a long-lived token, or OAuth whose rotating tokens the box keeps in
    ``token_file``."""

    url: Url
    token: SecretStr | None = None
    token_file: SecretFile | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    client_secret_file: SecretFile | None = None
    refresh_token: SecretStr | None = None
    redirect_uri: Url | None = None

    @property
    def oauth(self) -> bool:
        return self.client_id is not None

    @model_validator(mode="after")
    def _one_way_in(self) -> AmoCrm:
        _at_most_one(self, ("client_secret", "client_secret_file"))
        if self.oauth:
            if self.token is not None:
                raise ValueError("give token (long-lived) or client_id (OAuth), not both")
            if self.client_secret is None and self.client_secret_file is None:
                raise ValueError("OAuth needs client_secret or client_secret_file")
            if self.redirect_uri is None or self.token_file is None:
                raise ValueError("OAuth needs redirect_uri and token_file (the tokens' store)")
            return self
        _at_most_one(self, ("token", "token_file"))
        if self.token is None and self.token_file is None:
            raise ValueError("give token or token_file, or OAuth with client_id")
        return self


class Bitrix24(CrmSource):
    """Bitrix24 through an inbound webhook, whose URL holds its secret code."""

    webhook: SecretStr | None = None
    webhook_file: SecretFile | None = None

    @field_validator("webhook")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("https://", "http://")):
            raise ValueError("the webhook is a URL: https://PORTAL/rest/USER/CODE/")
        return value

    @model_validator(mode="after")
    def _one_webhook(self) -> Bitrix24:
        _at_most_one(self, ("webhook", "webhook_file"))
        if self.webhook is None and self.webhook_file is None:
            raise ValueError("give webhook or webhook_file")
        return self


class Megaplan(CrmSource):
    """Megaplan v3: an employee's login, exchanged for a bearer token."""

    url: Url
    username: str = Field(min_length=1)
    password: SecretStr | None = None
    password_file: SecretFile | None = None

    @model_validator(mode="after")
    def _one_password(self) -> Megaplan:
        _at_most_one(self, ("password", "password_file"))
        if self.password is None and self.password_file is None:
            raise ValueError("give password or password_file")
        return self


class Icm(Section):
    """The intelligent contact manager: a returning caller reaches the manager who knows them."""

    number: ExtensionNumber = Field("6100", description="service number a menu or transfer uses")
    sources: list[SourceName] = Field(
        default_factory=lambda: list(DEFAULT_SOURCES), description="active sources, in order"
    )
    history_days: int = Field(90, ge=1, le=3650)
    area_codes: list[Annotated[str, Field(pattern=r"^[0-9]{1,6}$")]] = Field(
        default_factory=list, description="for local numbers delivered without; default system's"
    )
    exceptions: list[ExtensionNumber] = Field(default_factory=list)
    ring_mobile: bool = False
    ring_timeout: Seconds = 20
    default: Target | None = None
    timeout: float = Field(1.5, gt=0, le=10, description="all CRM lookups of one call")
    amocrm: AmoCrm | None = None
    bitrix24: Bitrix24 | None = None
    megaplan: Megaplan | None = None

    @field_validator("sources")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        twice = sorted({s for s in value if value.count(s) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed more than once")
        return value

    def crm(self, name: str) -> AmoCrm | Bitrix24 | Megaplan | None:
        """A CRM source's section, or None when it is not configured."""
        found: AmoCrm | Bitrix24 | Megaplan | None = getattr(self, name, None)
        return found
