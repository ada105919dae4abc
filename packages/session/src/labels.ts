/**
 * Label on every container of a session naming the service it runs (the session itself is the
 * contract's `sessionId`). Not under `berth.`: drivers reserve that prefix for their own labels.
 */
export const SERVICE_LABEL = 'berth-session.service';
