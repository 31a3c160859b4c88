"""The sandbox's URLs: the contract under /v1/, hosted pages, and the control API under /__sandbox/.

Contract path parameters keep the contract's names, so that ``/__sandbox/stats`` can name
each endpoint by its template (``DELETE /v1/tickets/:ticketId``).
"""

from __future__ import annotations

from django.urls import include, path

from menta_sandbox import api, control, hosted

contract = [
    path("v1/wrapper/accesslayer", api.access_layer_view),
    path("v1/wrapper/accesslayer/bulk", api.access_layer_bulk_view),
    path("v1/auth/oneTimeToken", api.one_time_token_view),
    path("v1/marketplace/buyingflow/url/entrypoint", api.buying_flow_view),
    path("v1/marketplace/sellingflow/url/entrypoint", api.selling_flow_view),
    path("v1/marketplace/sellingflow/url/order/entrypoint", api.order_selling_flow_view),
    path("v1/marketplace/sellingflow/details/url", api.selling_details_view),
    path("v1/events/tickets/salePublicUrl", api.sale_public_view),
    path("v1/marketplace/listings/ticket/<str:ticketId>", api.listing_view),
    path("v1/marketplace/items/ticket/<str:ticketId>", api.listing_item_view),
    path("v1/marketplace/items/events/<str:eventId>/listedTickets", api.listed_tickets_view),
    path("v1/marketplace/buyingflow/buyIntention", api.buy_intention_view),
    path("v1/marketplace/checkout/url", api.checkout_url_view),
    path("v1/events", api.events_view),
    path("v1/events/rules", api.rules_view),
    path("v1/events/<str:externalReferenceId>/cancellation", api.event_cancellation_view),
    path("v1/tickets", api.tickets_view),
    path("v1/sync/tickets", api.tickets_sync_view),
    path("v1/tickets/batch/eventAdmission", api.ticket_admissions_view),
    path("v1/tickets/<str:ticketId>", api.ticket_view),
    path("v1/tickets/<str:ticketId>/eventAdmission", api.ticket_admission_view),
    path("v1/marketdata/events/<str:externalReferenceId>/inventory", api.inventory_view),
    path("v1/marketdata/events/<str:externalReferenceId>/inventory/details", api.inventory_details_view),
    path("v1/marketdata/ticket-leads", api.lead_view),
    path("v1/marketdata/ticket-leads/bulk", api.lead_bulk_view),
    path("v1/marketdata/users", api.lead_view),
    path("v1/marketdata/users/bulk", api.lead_bulk_view),
]

pages = [
    path("", hosted.home, name="home"),
    path("buy/listings/<int:listing_id>/", hosted.buy_listing, name="buy-listing"),
    path("buy/<str:event_id>/<str:show_id>/", hosted.buy_show, name="buy-show"),
    path("buy/<str:event_id>/<str:show_id>/notify/", hosted.notify_me, name="notify-me"),
    path("checkout/<str:intention_id>/", hosted.checkout, name="checkout"),
    path("sell/", hosted.sell_home, name="sell-home"),
    path("sell/tickets/<str:ticket_id>/", hosted.sell_ticket, name="sell-ticket"),
    path("sell/tickets/<str:ticket_id>/payout/", hosted.sell_payout, name="sell-payout"),
    path("sell/orders/<str:order_id>/", hosted.sell_order, name="sell-order"),
    path("transfer/<str:ticket_id>/", hosted.transfer_ticket, name="transfer-ticket"),
    path("signout/", hosted.sign_out, name="sign-out"),
]

urlpatterns = [
    *contract,
    path("__sandbox/stats", control.stats),
    path("__sandbox/faults", control.faults),
    path("__sandbox/webhooks", control.webhooks),
    path("__sandbox/payouts", control.payouts),
    path("__sandbox/unlock", control.unlock),
    path("", include((pages, "menta_sandbox"))),
]
