/**
 * Labels the session package puts on the containers it makes (besides the contract's own
 * `sessionId`): which service a container runs, and until when its session may live. A fresh
 * process finds a session's parts through them (`SessionManager.attach`). Not `berth.` keys:
 * those are the drivers' own and refused in configs.
 */
export const SERVICE_LABEL = 'berth-session.service';
export const EXPIRES_LABEL = 'berth-session.expires';
