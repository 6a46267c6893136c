"""A CRM as one of ICM's sources: what every CRM needs around its client.

The clients only speak their APIs; ``CrmSource`` adds the rest. It never
raises, since a broken CRM must cost the caller nothing but the wait; keeps
answers for ``cache_seconds``, so a caller who rings back is not looked up
again; stays within the CRM's rate limit; turns the CRM's user into an
extension with ``users``; and keeps the figures the control socket shows.
``build`` makes one from its [icm.NAME] section.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from pydantic import SecretStr

from firmware.config import icm as config
from firmware.config.icm import read_secret
from firmware.crm import amocrm, bitrix24, megaplan
from firmware.crm.base import Client, CrmError, CrmMatch, Kind
from firmware.routing.icm import SourceAnswer

log = logging.getLogger(__name__)


class RateLimit:
    """A token bucket: ``per_second`` lookups on average, up to ``burst`` at once.

    ``take`` reserves its token before it sleeps for it, so lookups that have
    to wait go in the order they came.
    """

    def __init__(
        self,
        *,
        per_second: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._per_second = per_second
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._at = clock()
        self._lock = threading.Lock()

    def wait_for(self, now: float) -> float:
        """Seconds from ``now`` until a token is free; 0 when one is."""
        with self._lock:
            return self._wait(self._tokens_at(now))

    def take(self, *, within: float) -> float | None:
        """Takes a token, sleeping until it is free: the seconds slept, or None (and no
        token taken) when that would be longer than ``within``."""
        with self._lock:
            now = self._clock()
            tokens = self._tokens_at(now)
            wait = self._wait(tokens)
            if wait > within:
                return None
            self._tokens, self._at = tokens - 1, max(now, self._at)
        if wait > 0:
            self._sleep(wait)
        return wait

    def _tokens_at(self, now: float) -> float:
        return min(self._burst, self._tokens + max(0.0, now - self._at) * self._per_second)

    def _wait(self, tokens: float) -> float:
        return max(0.0, (1 - tokens) / self._per_second)


@dataclass(frozen=True)
class CrmStatus:
    """How a CRM has been answering, for the control socket; times are the source's clock.

    ``lookups`` counts the questions that were not answered from the cache,
    ``failures`` those of them that got an error (a rate-limit refusal too).
    """

    last_success_at: float | None = None
    last_error_at: float | None = None
    last_error: str | None = None
    last_latency_ms: float | None = None
    lookups: int = 0
    failures: int = 0


class CrmSource:
    """One CRM client with a cache, a rate limit, the users table and its status."""

    def __init__(
        self,
        *,
        client: Client,
        users: Mapping[str, str],
        cache_seconds: float,
        rate: RateLimit,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = client.name
        self._client = client
        self._users = dict(users)
        self._cache_seconds = cache_seconds
        self._rate = rate
        self._clock = clock
        self._cache: dict[str, tuple[float, SourceAnswer]] = {}
        self._status = CrmStatus()
        self._lock = threading.Lock()

    def ask(self, number: str, *, timeout: float) -> SourceAnswer:
        """What the CRM says about ``number`` (E.164 digits, no "+"); never raises."""
        with self._lock:
            until, answer = self._cache.get(number, (0.0, None))
            if answer is not None and self._clock() < until:
                return answer
        waited = self._rate.take(within=timeout)
        if waited is None:
            why = f"its rate limit leaves no lookup free within {timeout:g} s"
            return self._failed(number, "rate_limited", why, started=None)
        started = self._clock()
        try:
            match = self._client.lookup(number, timeout=timeout - waited)
        except CrmError as exc:
            return self._failed(number, exc.kind, str(exc), started=started)
        except Exception:
            log.exception("%s lookup of %s broke", self.name, number)
            return self._failed(number, "bad_response", "the lookup broke (see the log)", started)
        answer = self._answer(match)
        with self._lock:
            now = self._clock()
            self._status = replace(
                self._status,
                last_success_at=now,
                last_latency_ms=(now - started) * 1000,
                lookups=self._status.lookups + 1,
            )
            if self._cache_seconds > 0:
                self._cache = {n: kept for n, kept in self._cache.items() if kept[0] > now}
                self._cache[number] = (now + self._cache_seconds, answer)
        return answer

    def status(self) -> CrmStatus:
        with self._lock:
            return self._status

    def close(self) -> None:
        self._client.close()

    def _answer(self, match: CrmMatch | None) -> SourceAnswer:
        """The users table first (the admin's word), else the extension the CRM states."""
        if match is None:
            return SourceAnswer(self.name, detail="no match")
        mapped = self._users.get(match.user) if match.user is not None else None
        if mapped is not None:
            why = f"{match.detail}: CRM user {match.user} is extension {mapped}"
            return SourceAnswer(self.name, mapped, detail=why)
        if match.extension is not None:
            why = f"{match.detail}: the CRM gives its user's inner number {match.extension}"
            return SourceAnswer(self.name, match.extension, detail=why)
        if match.user is None:
            return SourceAnswer(self.name, detail=f"{match.detail}: no responsible user")
        why = f"{match.detail}: CRM user {match.user} has no extension in [icm.{self.name}] users"
        return SourceAnswer(self.name, detail=why)

    def _failed(self, number: str, kind: Kind, why: str, started: float | None) -> SourceAnswer:
        log.warning("%s lookup of %s failed: %s: %s", self.name, number, kind, why)
        with self._lock:
            now = self._clock()
            latency = self._status.last_latency_ms if started is None else (now - started) * 1000
            self._status = replace(
                self._status,
                last_error_at=now,
                last_error=f"{kind}: {why}",
                last_latency_ms=latency,
                lookups=self._status.lookups + 1,
                failures=self._status.failures + 1,
            )
        return SourceAnswer(self.name, error=kind, detail=why)


def build(
    name: str,
    section: config.AmoCrm | config.Bitrix24 | config.Megaplan,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> CrmSource:
    """The source ``[icm.NAME]`` describes. Secrets are read now, so a secret file made
    readable later needs only a reload; OSError or ValueError name a file that cannot serve."""
    client, per_second, burst = _client(name, section, transport, clock, wall_clock)
    return CrmSource(
        client=client,
        users=section.users,
        cache_seconds=section.cache_seconds,
        rate=RateLimit(per_second=per_second, burst=burst, clock=clock),
        clock=clock,
    )


def _client(
    name: str,
    section: config.AmoCrm | config.Bitrix24 | config.Megaplan,
    transport: httpx.BaseTransport | None,
    clock: Callable[[], float],
    wall_clock: Callable[[], float],
) -> tuple[Client, float, float]:
    if name == "amocrm" and isinstance(section, config.AmoCrm):
        auth = _amocrm_auth(section, wall_clock)
        amo = amocrm.AmoCrm(url=section.url, auth=auth, transport=transport, clock=clock)
        return amo, amocrm.PER_SECOND, amocrm.BURST
    if name == "bitrix24" and isinstance(section, config.Bitrix24):
        webhook = _secret(name, "webhook", section.webhook, section.webhook_file)
        if not webhook.startswith(("https://", "http://")):
            raise ValueError(
                f"[icm.bitrix24] webhook_file: {section.webhook_file} holds no URL "
                "(https://PORTAL/rest/USER/CODE/)"
            )
        portal = bitrix24.Bitrix24(webhook=webhook, transport=transport, clock=clock)
        return portal, bitrix24.PER_SECOND, bitrix24.BURST
    if name == "megaplan" and isinstance(section, config.Megaplan):
        password = _secret(name, "password", section.password, section.password_file)
        mega = megaplan.Megaplan(
            url=section.url,
            username=section.username,
            password=password,
            transport=transport,
            clock=clock,
        )
        return mega, megaplan.PER_SECOND, megaplan.BURST
    raise ValueError(f"no CRM client for [icm.{name}] from a {type(section).__name__} section")


def _amocrm_auth(section: config.AmoCrm, wall_clock: Callable[[], float]) -> amocrm.Auth:
    if section.client_id is None:
        return amocrm.LongLivedToken(_secret("amocrm", "token", section.token, section.token_file))
    if section.redirect_uri is None or section.token_file is None:
        raise ValueError("[icm.amocrm] OAuth needs redirect_uri and token_file")
    first = section.refresh_token
    return amocrm.OAuthTokens(
        url=section.url,
        client_id=section.client_id,
        client_secret=_secret(
            "amocrm", "client_secret", section.client_secret, section.client_secret_file
        ),
        redirect_uri=section.redirect_uri,
        token_file=section.token_file,
        refresh_token=first.get_secret_value() if first is not None else None,
        wall_clock=wall_clock,
    )


def _secret(name: str, key: str, inline: SecretStr | None, file: Path | None) -> str:
    """The secret, or an error that names its file and never its content."""
    try:
        secret = read_secret(inline, file)
    except UnicodeDecodeError:
        raise ValueError(f"[icm.{name}] {key}_file: {file} is not UTF-8 text") from None
    except OSError as exc:
        raise OSError(
            exc.errno, f"[icm.{name}] {key}_file: cannot read {file}: {exc.strerror}"
        ) from None
    if not secret:
        raise ValueError(f"[icm.{name}] {key}: {file or 'it'} is empty, or not given")
    return secret
