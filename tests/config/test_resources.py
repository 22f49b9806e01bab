"""The app finds its icon, stylesheet and desktop file in the top-level resources/ folder."""

import configparser

from radiowatch.config.resources import resource_path, resources_dir


def test_resources_are_found_from_a_checkout():
    base = resources_dir()
    assert base is not None and (base / "icons" / "radiowatch.svg").is_file()
    for size in (48, 128, 256):
        png = resource_path("icons", f"radiowatch-{size}.png")
        assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert resource_path("styles", "light.qss") is not None
    assert resource_path("icons", "no-such-icon.svg") is None


def test_desktop_file_names_the_app_and_its_icon():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(resource_path("org.radiowatch.Radiowatch.desktop"))
    entry = parser["Desktop Entry"]
    assert entry["Exec"] == "radiowatch"
    assert entry["Icon"] == "org.radiowatch.Radiowatch"
    assert entry["Type"] == "Application"
    assert "AudioVideo" in entry["Categories"].split(";")
