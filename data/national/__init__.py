"""The national agency's side (issue 13): every region's requests, its own stock, and the national
allocation of that stock among the requests.

- ``data.national.scoping`` — run a few statements in another region's scope (or every region's)
  and come back: the agency reads every region's requests and answers in the request's region;
- ``data.national.incoming`` — the open requests of every region, newest and most urgent first;
  acknowledge one; answer one (quantity and expected delivery date);
- ``data.national.stock`` — the agency's stock: the ordinary ledger in region ``SE``;
- ``data.national.allocation`` — share the agency's stock among the open requests with the same
  core and contract (a request is a requester, weighted by its homes with confirmed cases), store
  the run, approve it: each region's share becomes an answer, the units leave the agency's stock.

Nothing here commits; the caller owns the transaction.
"""
