"""Which files the tabs offer to open as audio: one list for file dialogs and folder scans.

Everything PyAV (FFmpeg) decodes is accepted in the end; these are the names a user expects to
see offered, video containers included (a recorded aircheck is often a video file).
"""

AUDIO_SUFFIXES = {
    ".mp3",
    ".wav",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".m4a",
    ".aac",
    ".wma",
    ".mp4",
    ".webm",
    ".mkv",
    ".mov",
    ".avi",
    ".amr",
    ".3gp",
}
AUDIO_FILTER = (
    "Audio and video (*.mp3 *.wav *.flac *.ogg *.oga *.opus *.m4a *.aac *.wma "
    "*.mp4 *.mkv *.webm *.mov *.avi);;All files (*)"
)
