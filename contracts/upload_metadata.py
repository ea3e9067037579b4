"""metadata.json: what an upload must say of its recording, and the rates and channel counts accepted.

:func:`parse_metadata` is part of :func:`contracts.uploads.check_upload`, so Validate and the
classifier container read metadata.json the same way.
"""

from dataclasses import dataclass

from contracts.documents import is_finite_number, is_whole_number, json_object

METADATA_NAME = "metadata.json"
REQUIRED_METADATA_KEYS = ("EEGChannels", "Frequency")
CHANNEL_NAMES_KEY = "ChannelNames"
#: The app's fixed montages, assumed when metadata.json names no channels.
DEFAULT_CHANNEL_NAMES = {
    8: ("C3", "CZ", "C4", "P3", "O1", "P7", "OZ", "PZ"),
    3: ("C3", "CZ", "C4"),
}
#: The sample rates (Hz) the classifier can train on. Below 100 Hz the filter bank's highest stopband
#: edge (48 Hz) is not under the Nyquist frequency (and at 12.5 Hz or less the 40 ms window step is
#: not even one sample); above 6 kHz scipy's remez may fail to converge on the long FIR filters of the
#: used bands (at 8,000 Hz on band 5, at 8,192 Hz on band 3; `fbcsp.filterbank.HIGHEST_DESIGNED_SAMPLE_RATE_HZ`).
MIN_SAMPLE_RATE_HZ = 100.0
MAX_SAMPLE_RATE_HZ = 6_000.0
#: The most EEG channels an upload may have: four times the densest EEG caps (256). Channel reduction
#: holds a few channels × channels matrices per band that the memory model
#: (:mod:`contracts.task_memory`) leaves out; up to 1024 channels they fit its 25 % margin even for
#: the shortest recording at the lowest rate (128 of 159 MiB), at 2048 they do not (512 of 276 MiB).
MAX_EEG_CHANNELS = 1024


class UploadRejected(ValueError):
    """The upload breaks a rule; ``message`` says which, in words the uploader understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class UploadMetadata:
    """What the pipeline uses from metadata.json."""

    n_channels: int
    sfreq: float
    ch_names: tuple[str, ...]
    #: False when ``ch_names`` is the assumed default (no ``ChannelNames``): not electrode positions.
    ch_names_known: bool


def _is_unicode_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _channel_names(document: dict, n_channels: int) -> tuple[str, ...]:
    names = document.get(CHANNEL_NAMES_KEY)
    if names is None:
        return DEFAULT_CHANNEL_NAMES.get(n_channels) or tuple(f"EEG{i}" for i in range(1, n_channels + 1))
    if not isinstance(names, list) or not all(isinstance(name, str) and name.strip() for name in names):
        raise UploadRejected(f"{METADATA_NAME} {CHANNEL_NAMES_KEY} must be a list of non-empty strings")
    unencodable = next((name for name in names if not _is_unicode_text(name)), None)
    if unencodable is not None:
        # JSON's "\\ud800" escape reads as a lone surrogate: no figure, report or UTF-8 file can hold it.
        raise UploadRejected(
            f"{METADATA_NAME} {CHANNEL_NAMES_KEY} holds a name that is not Unicode text ({unencodable!r}: "
            "a \\uD800-\\uDFFF escape without its pair)"
        )
    names = tuple(name.strip() for name in names)
    if len(names) != n_channels:
        raise UploadRejected(
            f"{METADATA_NAME} {CHANNEL_NAMES_KEY} names {len(names)} channel(s) "
            f"but EEGChannels is {n_channels}"
        )
    if len({name.upper() for name in names}) != len(names):
        raise UploadRejected(f"{METADATA_NAME} {CHANNEL_NAMES_KEY} repeats a channel name")
    return names


def parse_metadata(raw: bytes) -> UploadMetadata:
    """Read ``EEGChannels`` (whole number from 2 to ``MAX_EEG_CHANNELS``), ``Frequency`` (Hz,
    within ``MIN_SAMPLE_RATE_HZ``..``MAX_SAMPLE_RATE_HZ``) and the optional ``ChannelNames``.

    Without ``ChannelNames`` the app's fixed montage is assumed for 8 and 3 channels
    (:data:`DEFAULT_CHANNEL_NAMES`), ``EEG1..EEGn`` otherwise. Every other key is ignored.

    Raises
    ------
    UploadRejected
        Not a JSON object, a required key missing or out of range, or ``ChannelNames`` not a list of
        distinct non-empty Unicode names, one per channel.
    """
    try:
        document = json_object(raw, METADATA_NAME)
    except ValueError as error:
        raise UploadRejected(str(error)) from error
    missing = [key for key in REQUIRED_METADATA_KEYS if key not in document]
    if missing:
        raise UploadRejected(f"{METADATA_NAME} lacks the required key(s) {', '.join(missing)}")
    channels = document.get("EEGChannels")
    if not is_whole_number(channels, 2, MAX_EEG_CHANNELS):
        raise UploadRejected(
            f"{METADATA_NAME} must give EEGChannels as a whole number from 2 to {MAX_EEG_CHANNELS}"
        )
    frequency = document.get("Frequency")
    if not is_finite_number(frequency) or frequency <= 0:
        raise UploadRejected(
            f"{METADATA_NAME} must give Frequency as a positive number of samples per second"
        )
    if not MIN_SAMPLE_RATE_HZ <= frequency <= MAX_SAMPLE_RATE_HZ:
        raise UploadRejected(
            f"{METADATA_NAME} gives a sample rate (Frequency) of {frequency:g} Hz; the classifier needs "
            f"{MIN_SAMPLE_RATE_HZ:g} to {MAX_SAMPLE_RATE_HZ:g} samples per second"
        )
    return UploadMetadata(
        n_channels=int(channels),
        sfreq=float(frequency),
        ch_names=_channel_names(document, int(channels)),
        ch_names_known=document.get(CHANNEL_NAMES_KEY) is not None,
    )
