"""Date formats (FORMAT_MODULE_PATH): every date Django renders by itself, in admin above all, reads as the
portal writes dates, in ISO form and Alberta time (2026-12-01, 2026-12-01 22:33), not Django's English
defaults ("Dec. 1, 2026, 10:33 p.m."). The portal's own templates mostly name their format ("Y-m-d"); where
one prints a bare date it now reads the same way. Letters and notices keep their long dates ("F j, Y"),
which they name."""
