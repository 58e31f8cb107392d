"""The assessments app's services, one module per subdomain: `ledger` (the one door for postings and the proof
that the ledger adds up) and `returns` (assessing fuel tax returns). Claims are assessed in assessments/claims.py,
payments, refunds, interest and notices in their own modules; what assessing every filed thing shares is
assessments/skeleton.py."""
