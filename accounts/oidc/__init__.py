"""Sign-in with an OpenID Connect provider (Alberta.ca Account): allauth's openid_connect provider made strict.

allauth sends no nonce, and skips the ID token's signature when the token came straight from the token endpoint
(OpenID Connect Core 3.1.3.7 allows it over TLS). The portal checks both anyway, with PKCE on, and says clearly
why a sign-in was refused or could not happen. docs/adr/0017-oidc-account-linking-and-provider-mfa.md."""
