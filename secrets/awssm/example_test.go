package awssm_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chainsync/middleware/secrets"
	"github.com/chainsync/middleware/secrets/awssm"
)

func ExampleNew() {
	// A stand-in for Secrets Manager holding one JSON secret.
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if !strings.Contains(string(body), `"chainsync/prod"`) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"not found"}`)
			return
		}
		io.WriteString(w, `{"Name":"chainsync/prod","SecretString":"{\"JWT_SECRET\":\"0123456789abcdef0123456789abcdef\"}"}`)
	}))
	defer local.Close()

	ctx := context.Background()
	// In production: awssm.New(ctx, awssm.Options{SecretID: ...}) with
	// region, endpoint and credentials from the standard AWS configuration.
	sm, err := awssm.New(ctx, awssm.Options{
		SecretID: func(name string) string { return "chainsync/prod#" + name },
		TTL:      5 * time.Minute,
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example", "")),
		},
		ClientOptions: []func(*secretsmanager.Options){
			func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(local.URL) },
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := secrets.Load(ctx, []secrets.Spec{
		{Name: "JWT_SECRET", Required: true, Validate: secrets.MinLength(32)},
		{Name: "SENDGRID_API_KEY"},
	}, &secrets.Env{Prefix: "EXAMPLE_"}, sm) // environment first, then AWS
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.Get("JWT_SECRET"), set.Get("JWT_SECRET").Len(), set.Get("SENDGRID_API_KEY").IsSet())
	// Output: [REDACTED] 32 false
}
