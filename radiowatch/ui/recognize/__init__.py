"""The Recognize tab: a clip, the microphone, a batch of files, a long recording."""
