"""Safety checks for zip-based Office files (DOCX, XLSX), run before any library opens them.

python-docx and openpyxl inflate whatever the archive holds, so a small upload can expand to
gigabytes (a zip bomb). We look only at the central directory here — no decompression — and
refuse archives whose declared sizes or compression ratios are out of bounds. Python's zipfile
stops inflating a member at its declared size, so the declared sizes are what the libraries
will actually get.
"""

from __future__ import annotations

import io
import zipfile

from corpus.errors import IngestError

DEFAULT_MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100  # Office XML compresses ~10–20×; 100× on a large member is a bomb
RATIO_MIN_BYTES = 10 * 1024 * 1024  # tiny members may compress absurdly well; that is harmless
MAX_MEMBERS = 20000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Password-protected OOXML files are OLE containers holding an "EncryptedPackage" stream; the
# directory entry names are stored in UTF-16LE.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def _refuse(source: str, reason_zh: str, reason_en: str, action: str) -> IngestError:
    return IngestError(source, reason_zh, reason_en, action)


def _check_ole(data: bytes, source: str, label: str) -> None:
    if _ENCRYPTED_STREAM in data:
        raise _refuse(source, f"{label} 文件已加密（设有打开密码），无法读取",
                      f"the {label} file is password-protected",
                      "请在 Office 中取消密码保护后另存，再重新导入 / remove the password and re-save")
    raise _refuse(source, f"文件是旧版二进制 Office 格式，不是 {label}",
                  f"the file is a legacy binary Office file, not {label}",
                  f"请用 Office 或 WPS 另存为 {label} 后重试 / re-save it as {label}")


def _corrupt(source: str, label: str, detail: str) -> IngestError:
    return _refuse(source, f"{label} 文件已损坏或不是有效的 {label} 文件（{detail}）",
                   f"the {label} file is corrupt or not a {label} file ({detail})",
                   f"请用 Office 或 WPS 打开并另存为 {label} 后重试 / open and re-save the file")


def check_office_zip(data: bytes, source: str, *, label: str, required_member: str,
                     max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES) -> None:
    """Raise IngestError unless `data` is a plausible, safe-to-open OOXML zip.

    `label` names the format for messages ("DOCX"); `required_member` is the part every valid
    file of that format has ("word/document.xml").
    """
    if data.startswith(_OLE_MAGIC):
        _check_ole(data, source, label)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _corrupt(source, label, f"不是有效的 zip 压缩包 / not a valid zip: {exc}") from exc
    if len(infos) > MAX_MEMBERS:
        raise _bomb(source, label, f"{len(infos)} 个压缩成员 / members")
    names = {info.filename for info in infos}
    if required_member not in names:
        raise _corrupt(source, label, f"缺少 {required_member} / missing {required_member}")
    if any(info.flag_bits & 0x1 for info in infos):
        raise _refuse(source, f"{label} 文件中有加密的压缩成员，无法读取",
                      f"the {label} archive has encrypted members",
                      "请取消加密后另存再导入 / remove the encryption and re-save")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
            raise _bomb(source, label, f"{info.filename} 压缩比 {ratio:.0f}:1 / ratio")
    if total > max_total_bytes:
        raise _bomb(source, label, f"解压后共 {total / 2**20:.0f} MB，上限 "
                                   f"{max_total_bytes / 2**20:.0f} MB / uncompressed total")


def _bomb(source: str, label: str, detail: str) -> IngestError:
    return _refuse(source, f"{label} 文件解压后过大或压缩比异常，疑似压缩炸弹，已拒绝（{detail}）",
                   f"the {label} file expands too much when unpacked (possible zip bomb)",
                   "请确认文件来源；如确为正常大文件，请拆分后再导入 / check the file's origin or "
                   "split it into smaller files")
