// Package awssm is a [secrets.Provider] backed by AWS Secrets Manager,
// with a cache.
//
// It is a subpackage so that only programs that use AWS import the AWS SDK
// (github.com/aws/aws-sdk-go-v2/service/secretsmanager).
//
// # Names
//
// A secret name is mapped to a SecretId by [Options.SecretID] (identity by
// default). "id#field" addresses one field of a secret whose SecretString
// is a JSON object, the usual way of keeping several values in one secret:
// with SecretID returning "chainsync/prod#"+name, every ChainSync secret is
// a key of the one secret "chainsync/prod", fetched once per TTL.
//
// # Configuration
//
// Without [Options.Client], [New] builds a client from the standard AWS
// configuration (config.LoadDefaultConfig): region from AWS_REGION or the
// shared config file, endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER or
// AWS_ENDPOINT_URL, credentials from the usual chain. A missing region
// fails at construction.
//
// # Caching and failures
//
// A fetched secret (or its absence) is cached for [Options.TTL]; concurrent
// lookups of one secret share one request, bounded by
// [Options.FetchTimeout], and each returns when its own context is done
// (with the stale value, if there is one). The SDK retries throttling and
// server errors with backoff. When a refresh still fails and a value was
// fetched before, the stale value is served, the failure is logged
// (secret id and error, never the value) and counted in [Stats], and the
// next attempt waits [Options.RetryInterval]. With nothing cached, the
// error is returned. ResourceNotFoundException is "not found", not an
// error, so a [secrets.Chain] falls through to its next provider.
package awssm
