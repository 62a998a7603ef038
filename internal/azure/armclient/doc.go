// Package armclient holds what upshift's Azure Resource Manager code shares,
// whether it calls ARM through an SDK module (the AKS provider) or as raw
// REST through azcore's pipeline (the Traffic Manager and DNS routers):
//
//   - Credential: the azcore.TokenCredential to use, defaulting to
//     azidentity's DefaultAzureCredential, and StaticToken for tests and
//     demos against the local ARM-protocol server (package armserver).
//   - Wait: the long-running-operation loop over an azcore Poller, with an
//     injectable clock, Retry-After honoured, and a callback per poll so
//     callers can show progress.
//   - Error and Wrap: ARM's error envelope {"error":{"code","message"}}
//     decoded from an *azcore.ResponseError, kept in the error text, with the
//     HTTP status, whether a long-running operation failed, and a sentinel
//     the caller chooses (provider.ErrNotFound, ...) for errors.Is.
//
// Throttling (429 with Retry-After) and transient 5xx are retried by azcore's
// retry policy, which honours Retry-After up to RetryOptions.MaxRetryDelay;
// this package does not add a second retry layer.
package armclient
