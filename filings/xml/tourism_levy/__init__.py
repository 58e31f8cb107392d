"""Tourism levy returns (AT317) filed as XML files: one file is one establishment's return for one collection
period (docs/xml-format-tourism-levy.md).

- `reader`: the published XSD (namespace `urn:ab:tra:tracs:tourismlevy:return:1`) and the safe reading of a
  file, with the fuel tax reader's first look (filings.xml.parser.preflight: UTF-8 only, no DOCTYPE, the right
  root), every schema error with its line and element path.
- `validator`: the web form's rules through the web form's service (filings/services_tourism_levy.py), each
  refusal pointed back at the element it is about. Filing is `tourism_levy_return_submit`, as for the web form.
- `sample`: the published sample made out for one establishment and one of its periods; `writer`: files for
  tests.
"""
