"""Programs' writes, one module per subdomain (ARCHITECTURE.md, "Where things go"); callers import the module
they need, e.g. `from programs.services import addresses`:

- reference: programs, dated rates and holidays loaded from their YAML
- accounts: taxpayers, BINs and the life of a program account (open, close, reopen, transfer)
- account_changes: the history, access log and owners' e-mail shared by the three below
- addresses, contacts, banking (direct deposit): an account's details, changed in the portal or in admin
- messages: messages from TRA and their answers
- documents: Submit Documents and the documents TRA places in an account
- registration, registration_review: online registration, the registrant's side and TRA's
"""
