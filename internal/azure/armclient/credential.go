package armclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Credential returns c, or azidentity's DefaultAzureCredential when c is
// nil: environment variables (AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret
// or certificate), workload identity, managed identity, then the Azure CLI's
// and Azure Developer CLI's signed-in account, in that order.
func Credential(c azcore.TokenCredential) (azcore.TokenCredential, error) {
	if c != nil {
		return c, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("no Azure credential: %w; sign in with `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal", err)
	}
	return cred, nil
}

// StaticToken is a credential that always returns the same bearer token,
// valid for an hour from each call. It is for the local ARM-protocol server
// (armserver.Server.Credential) and tests; never for Azure.
type StaticToken string

var _ azcore.TokenCredential = StaticToken("")

// GetToken implements azcore.TokenCredential.
func (t StaticToken) GetToken(_ context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if t == "" {
		return azcore.AccessToken{}, errors.New("armclient.StaticToken is empty; give it the token the server expects")
	}
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}
