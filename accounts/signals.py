from django.dispatch import Signal

# Sent when a person recovers sign-in without their authenticator (backup code, staff reset). The access
# layer (consent) tells the owners of every account that person reaches; identity knows no accounts.
sign_in_recovered = Signal()  # kwargs: user, how, actor (who acted: the person, or staff for a reset)
