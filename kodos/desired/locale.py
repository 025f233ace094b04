"""locale → /etc/locale.gen, /etc/locale.conf, /etc/vconsole.conf and /etc/localtime.

* locale.gen (when `default` or `extra_generate` is set): the default line first, then the
  extra lines in configuration order, each once. kodos owns the whole file — Arch ships it as a
  commented list of every locale, which nobody needs on disk once kodos says which to build.
  (Changing it means `locale-gen` must run: the applier's job.)
* locale.conf (when `default` or `extra_settings` is set): `LANG=` the default's locale (the
  first word of its locale.gen line), then `extra_settings` sorted by variable. A LANG in
  extra_settings that differs from the default's is a problem (which one would the user
  mean?). A variable naming a locale that kodos's locale.gen does not build is a problem too:
  glibc would silently fall back to C. LANGUAGE is a list of languages, not a locale, and C,
  POSIX and C.UTF-8 always exist; both are exempt.
* vconsole.conf: `KEYMAP=`; localtime: a symlink to /usr/share/zoneinfo/ZONE, as the Arch
  installation guide makes it (absolute; `timedatectl` writes a relative one, which a plan
  would show as a change).
"""

from __future__ import annotations

from kodos.config.hostlists import ALWAYS_AVAILABLE, glibc_normalized
from kodos.config.model import Locale, LocaleGeneration
from kodos.desired.collect import Collector
from kodos.desired.files import managed_text
from kodos.desired.written import LOCALE_CONF, LOCALE_GEN, LOCALTIME, VCONSOLE

ZONEINFO = "/usr/share/zoneinfo"
PATH = ("locale",)


def expand_locale(collector: Collector, locale: Locale) -> None:
    generation = locale.locale
    generated = _locale_gen(collector, generation)
    _locale_conf(collector, generation, generated)
    if locale.keymap is not None:
        content = managed_text([f"KEYMAP={locale.keymap}"])
        collector.file(VCONSOLE, content, (*PATH, "keymap"))
    if locale.timezone is not None:
        target = f"{ZONEINFO}/{locale.timezone}"
        collector.symlink(LOCALTIME, target, (*PATH, "timezone"))


def _locale_gen(collector: Collector, generation: LocaleGeneration) -> set[str] | None:
    """Write locale.gen; return the normalized names it builds (None: kodos leaves it alone)."""
    lines = [generation.default] if generation.default else []
    lines.extend(generation.extra_generate)
    lines = list(dict.fromkeys(lines))
    if not lines:
        return None
    collector.file(LOCALE_GEN, managed_text(lines), (*PATH, "locale"))
    return {glibc_normalized(line.split()[0]) for line in lines}


def _locale_conf(
    collector: Collector, generation: LocaleGeneration, generated: set[str] | None
) -> None:
    settings: dict[str, str] = dict(sorted(generation.extra_settings.items()))
    path = (*PATH, "locale", "extra_settings")
    if generation.default is not None:
        lang = generation.default.split()[0]
        if settings.get("LANG", lang) != lang:
            message = f"LANG is {lang} from locale.locale.default already; keep one of the two"
            collector.problem((*path, "LANG"), message)
        settings = {"LANG": lang, **{k: v for k, v in settings.items() if k != "LANG"}}
    if not settings:
        return
    if generated is not None:
        _check_generated(collector, settings, generated)
    lines = [f"{variable}={value}" for variable, value in settings.items()]
    collector.file(LOCALE_CONF, managed_text(lines), (*PATH, "locale"))


def _check_generated(collector: Collector, settings: dict[str, str], generated: set[str]) -> None:
    for variable, value in settings.items():
        name = glibc_normalized(value)
        if variable == "LANGUAGE" or name in generated or name in ALWAYS_AVAILABLE:
            continue
        where = (*PATH, "locale", "extra_settings", variable)
        message = f"{value} is not generated, so programs would fall back to the C locale"
        hint = f'add "{value} {_codeset(value)}" to locale.locale.extra_generate'
        collector.problem(where, message, hint)


def _codeset(locale_name: str) -> str:
    codeset = locale_name.partition(".")[2].partition("@")[0]
    return codeset or "ISO-8859-1"
