"""Accounts & tokens: the AudD token, the Audjust key, and Udio's base URL and key.

Secrets go to the token store (keyring, or the 0600 file with a visible warning); the Udio base
URL is an ordinary setting. Values are shown masked (`ab***yz`) and revealed only on request.
"""

from __future__ import annotations

import os

from pydantic import ValidationError
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from radiowatch.config.redaction import mask
from radiowatch.config.secrets import (
    AUDD_API_TOKEN,
    AUDD_TOKEN_ENV,
    AUDJUST_API_KEY,
    UDIO_API_KEY,
    FileTokenStore,
    TokenStore,
    TokenStoreError,
)
from radiowatch.config.settings import SettingsStore
from radiowatch.udio.endpoint import AuthScheme

UDIO_AUTH_SCHEMES = tuple(scheme.value for scheme in AuthScheme)

SECRET_ROWS = (
    (AUDD_API_TOKEN, "AudD API token", "From dashboard.audd.io; used for the AudD cloud backend"),
    (AUDJUST_API_KEY, "Audjust API key", "Optional: song resizing in the Audjust cloud"),
    (UDIO_API_KEY, "Udio API key", "The key of your Udio API provider"),
)


class SecretField(QWidget):
    """A password-style editor with a reveal toggle and the stored value shown masked."""

    def __init__(
        self, name: str, value: str | None, placeholder: str, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.name = name
        self.original = value or ""
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        row = QHBoxLayout()
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setText(self.original)
        self.edit.setClearButtonEnabled(True)
        self.reveal = QToolButton(self)
        self.reveal.setText("Show")
        self.reveal.setCheckable(True)
        self.reveal.setToolTip("Show or hide the value")
        self.reveal.toggled.connect(self._on_reveal_toggled)
        row.addWidget(self.edit, 1)
        row.addWidget(self.reveal)
        column.addLayout(row)
        self.status = QLabel(self)
        self.status.setObjectName("DialogHint")
        column.addWidget(self.status)
        self.edit.textChanged.connect(self._refresh_status)
        self._refresh_status()

    @property
    def value(self) -> str:
        return self.edit.text().strip()

    @property
    def changed(self) -> bool:
        return self.value != self.original

    def masked(self) -> str:
        return mask(self.value)

    def _on_reveal_toggled(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal.setText("Hide" if shown else "Show")

    def _refresh_status(self) -> None:
        if not self.value:
            text = "Not set" if not self.original else "Will be removed when you save"
        elif not self.changed:
            text = f"Saved: {mask(self.value)}"
        else:
            text = f"New value {mask(self.value)}, saved when you press Save"
        self.status.setText(text)


class AccountsDialog(QDialog):
    """Edits the secrets in `tokens` and the Udio base URL in `settings`."""

    tokens_changed = Signal(list)  # names of the secrets that were set or removed

    def __init__(
        self, tokens: TokenStore, settings: SettingsStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.tokens = tokens
        self.settings = settings
        self.setWindowTitle("Accounts & tokens")
        self.setMinimumWidth(560)
        self.fields: dict[str, SecretField] = {}
        self.setup_ui()

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        where = "in your system keyring and " if self.tokens.is_secure else ""
        intro = QLabel(f"Tokens are kept {where}never in settings, logs or exports.", self)
        intro.setObjectName("DialogHint")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.storage_warning = QLabel(self)
        self.storage_warning.setObjectName("WarningBanner")
        self.storage_warning.setWordWrap(True)
        if not self.tokens.is_secure:
            where = self.tokens.path if isinstance(self.tokens, FileTokenStore) else "a file"
            self.storage_warning.setText(
                f"No system keyring found: tokens are saved in {where}, readable only by you."
            )
        self.storage_warning.setVisible(not self.tokens.is_secure)
        layout.addWidget(self.storage_warning)
        self.env_note = QLabel(self)
        self.env_note.setObjectName("InfoBanner")
        self.env_note.setWordWrap(True)
        self.env_note.setText(
            f"{AUDD_TOKEN_ENV} is set in the environment; it is used instead of the AudD token "
            "saved here."
        )
        self.env_note.setVisible(bool(os.environ.get(AUDD_TOKEN_ENV, "").strip()))
        layout.addWidget(self.env_note)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("FieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        try:
            values = {name: self.tokens.get(name) for name, _, _ in SECRET_ROWS}
        except TokenStoreError as exc:
            values = {}
            self._show_error(str(exc))
        for name, label, placeholder in SECRET_ROWS:
            field = SecretField(name, values.get(name), placeholder, self)
            self.fields[name] = field
            form.addRow(f"{label}:", field)
            if name == AUDJUST_API_KEY:
                self.udio_url = QLineEdit(self)
                self.udio_url.setPlaceholderText("https://api.your-udio-provider.example")
                self.udio_url.setText(self.settings.current.udio_base_url)
                self.udio_url.setToolTip(
                    "Udio has no official public API; enter your provider's address."
                )
                form.addRow("Udio base URL:", self.udio_url)
                self.udio_path = QLineEdit(self)
                self.udio_path.setText(self.settings.current.udio_path_template)
                self.udio_path.setToolTip(
                    "The request path; {ids} is replaced by comma-separated "
                    "task ids, {id} by one id"
                )
                form.addRow("Udio request path:", self.udio_path)
                self.udio_auth = QComboBox(self)
                for scheme in UDIO_AUTH_SCHEMES:
                    self.udio_auth.addItem(scheme, scheme)
                index = self.udio_auth.findData(self.settings.current.udio_auth_scheme)
                self.udio_auth.setCurrentIndex(max(index, 0))
                self.udio_auth.setToolTip("How the Udio key is sent to your provider")
                form.addRow("Udio key sent as:", self.udio_auth)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def error_text(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def save(self) -> bool:
        """Write what changed; on any error keep the dialog open and say what went wrong."""
        self.error_label.hide()
        url = self.udio_url.text().strip()
        udio = {
            "udio_base_url": url,
            "udio_path_template": self.udio_path.text().strip() or "/udio/query?ids={ids}",
            "udio_auth_scheme": self.udio_auth.currentData(),
        }
        current = self.settings.current
        if any(getattr(current, key) != value for key, value in udio.items()):
            try:
                self.settings.update(**udio)
            except ValidationError as exc:
                self._show_error(exc.errors()[0]["msg"].removeprefix("Value error, ") + ".")
                self.udio_url.setFocus()
                return False
        changed = []
        try:
            for name, field in self.fields.items():
                if field.changed:
                    if field.value:
                        self.tokens.set(name, field.value)
                    else:
                        self.tokens.delete(name)
                    field.original = field.value
                    changed.append(name)
        except TokenStoreError as exc:
            self._show_error(str(exc))
            return False
        if changed:
            self.tokens_changed.emit(changed)
        self.accept()
        return True

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
