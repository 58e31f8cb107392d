"""Django admin of the decisions on Notices of Objection (AT4762) and Requests for a Waiver of Penalties and
Interest (AT4764): the queues and the staff actions that decide them."""
