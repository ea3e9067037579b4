"""One run's access to its data: a presigned GET of its upload version and a presigned PUT per result file.

The presign function signs them (``handlers.presign_run``) and the state machine hands them to the
container as the one variable ``RUN_ACCESS`` (:class:`contracts.environment.ContainerVariable`);
the container has no AWS credentials of its own. The value is the JSON ``{"input": url,
"results": {name: url}}`` (names of :data:`contracts.manifest.RESULT_FILES`), deflated and
base64url-encoded: ECS accepts at most 8,192 characters of ``RunTask`` overrides in all, and eight
URLs signed with a Lambda's temporary credentials (each carrying the same ~1,300-character session
token) take about 17,000 characters as plain JSON, about 2,700 compressed.

The URLs are secrets until they expire: log keys, never URLs.
"""

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from contracts.manifest import RESULT_FILES

#: Where the presign step puts the ``RUN_ACCESS`` value in the state (its ``ResultPath``).
RUN_ACCESS_FIELD = "runAccess"
RUN_ACCESS_PATH = f"$.{RUN_ACCESS_FIELD}"
REDACTED = "[RUN_ACCESS redacted]"
#: The longest the run's URLs may be signed for (``RUN_ACCESS_SECONDS``, the longest a run can last).
#: A presigned URL stops working when the credentials that signed it expire, whatever its own expiry
#: (https://repost.aws/knowledge-center/presigned-url-s3-bucket-expiration), and the presign function
#: signs with its Lambda execution role's temporary credentials, which "don't necessarily comply with
#: the role's session duration settings" (same page). Lambda documents no lifetime for them, and how
#: much of it is left when a URL is signed is unknown; URLs signed in Lambda were seen to stop with
#: ``ExpiredToken`` after about 12 hours (https://github.com/boto/boto3/issues/2392). Six hours, half
#: of that, is the margin; a run's training takes seconds to minutes.
MAX_RUN_ACCESS_SECONDS = 6 * 60 * 60
#: The most characters ``RUN_ACCESS`` may take: with the run's other variables (ids and keys of at
#: most a few hundred characters each) the overrides stay under ECS's 8,192.
MAX_ENCODED_CHARS = 5000


def redact(text: str, state: Mapping[str, object]) -> str:
    """``text`` without the state's ``RUN_ACCESS`` value: a failed task's description (the cause
    RecordFailure keeps and logs) holds the task's overrides, URLs included."""
    value = state.get(RUN_ACCESS_FIELD)
    return text.replace(value, REDACTED) if isinstance(value, str) and value else text


#: A base64url run of characters as long as an encoded ``RUN_ACCESS`` value can never be shorter than
#: (eight signed URLs, deflated): nothing else in an execution's error text is one.
_ENCODED_VALUE = re.compile(r"[A-Za-z0-9_-]{400,}={0,2}")


def redact_encoded(text: str) -> str:
    """``text`` without anything that may be an encoded ``RUN_ACCESS`` value, for an error text whose
    run's value is not at hand: the cause of an execution that failed outside any Catch (``States.Runtime``
    quotes the state's input, ``$.runAccess`` included), which the reconcile function keeps."""
    return _ENCODED_VALUE.sub(REDACTED, text)


class RunAccessError(ValueError):
    """A ``RUN_ACCESS`` value that cannot be decoded, lacks a URL, or is too long to pass to ECS."""


@dataclass(frozen=True)
class RunAccess:
    """The run's URLs: ``input`` reads its upload version, ``results[name]`` writes ``{prefix}{name}``."""

    input: str
    results: Mapping[str, str]

    def __post_init__(self) -> None:
        missing = sorted(set(RESULT_FILES) - set(self.results))
        unexpected = sorted(set(self.results) - set(RESULT_FILES))
        if missing or unexpected or not self.input:
            raise RunAccessError(
                f"run access must hold the input URL and one URL per result file "
                f"(missing {missing}, unexpected {unexpected})"
            )

    def encode(self) -> str:
        """The ``RUN_ACCESS`` value.

        Raises
        ------
        RunAccessError
            If it would be longer than :data:`MAX_ENCODED_CHARS`.
        """
        document = json.dumps({"input": self.input, "results": dict(self.results)}, separators=(",", ":"))
        encoded = base64.urlsafe_b64encode(zlib.compress(document.encode(), 9)).decode("ascii")
        if len(encoded) > MAX_ENCODED_CHARS:
            raise RunAccessError(
                f"the run's URLs take {len(encoded)} characters, more than the {MAX_ENCODED_CHARS} "
                "that fit in the task's overrides"
            )
        return encoded

    @classmethod
    def decode(cls, value: str) -> "RunAccess":
        """Read a ``RUN_ACCESS`` value.

        Raises
        ------
        RunAccessError
            If it is not what :meth:`encode` makes.
        """
        try:
            document = json.loads(zlib.decompress(base64.urlsafe_b64decode(value.encode("ascii"))))
            input_url, result_urls = document["input"], dict(document["results"])
        except (binascii.Error, zlib.error, UnicodeError, ValueError, KeyError, TypeError) as error:
            raise RunAccessError(f"RUN_ACCESS is not an encoded run access: {type(error).__name__}") from None
        return cls(input=input_url, results=result_urls)
