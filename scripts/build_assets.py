"""Copy the Government of Alberta design system from node_modules into static/vendor.

The package's CSS pulls fonts from outside hosts (Google Fonts, Adobe Typekit); the portal calls no outside
host (privacy, CSP, rural links), so those rules are removed here and static/css/tracs.css falls back to
system fonts. The build fails if any outside URL survives.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "@abgov" / "web-components"
TARGET = ROOT / "static" / "vendor" / "goa"

EXTERNAL_IMPORT = re.compile(r"@import\s*(url\()?[\"']?https?://[^;]*;")
FONT_FACE = re.compile(r"@font-face\s*{[^}]*}")
EXTERNAL_URL = re.compile(r"https?://(?!www\.alberta\.ca|alberta\.ca|github\.com|www\.w3\.org)[\w.-]+")


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    css = (SOURCE / "index.css").read_text()
    css = EXTERNAL_IMPORT.sub("", css)
    css = FONT_FACE.sub(lambda m: "" if "http" in m.group(0) else m.group(0), css)
    js = (SOURCE / "index.js").read_text()
    for name, text in (("web-components.css", css), ("web-components.js", js)):
        leftover = EXTERNAL_URL.findall(text)
        if leftover:
            print(
                f"build_assets: {name} still calls outside hosts: {sorted(set(leftover))[:5]}",
                file=sys.stderr,
            )
            return 1
        (TARGET / name).write_text(text)
    (ROOT / "static" / "vendor" / ".built").touch()
    print(f"build_assets: design system copied to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
