"""Django admin of refunds: the refunds to approve (four eyes above the configured amount), the refunds issued
and the payment files (direct deposit batches, cheque registers) staff download."""
