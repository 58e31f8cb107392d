"""The exemption registry (issue 14, items 1 and 2): AFFB numbers, TEFU certificates and carbon levy exemption
certificates, their holders and the dated history of each one's status, and the eligibility check sellers of
marked fuel run against it (docs/adr/0018-exemption-registry.md).

A package of programs (ARCHITECTURE.md, "The house": `programs/registries/`), not an app: the registry is
reference data the programs floor owns, and the marked-fuel sales of filings (a higher floor) join it."""
