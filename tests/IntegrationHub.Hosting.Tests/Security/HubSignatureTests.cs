using System.Text;
using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Hosting.Tests.Security;

public sealed class HubSignatureTests
{
    static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"requestId":"r-1","status":"completed"}""");
    static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void Signature_matches_an_independent_hmac_of_timestamp_dot_body()
    {
        // Computed independently: printf '1700000000.%s' "$body" | openssl dgst -sha256 -hmac whsec_test
        var header = HubSignature.Create("whsec_test", Body, Now);

        Assert.Equal("t=1700000000,v1=774b4afdf184b688ff0256bc8bcd9f62756de2dbb6610b792ef7932f315770c3", header);
        Assert.Equal(HubSignature.Result.Valid, HubSignature.Verify(header, "whsec_test", Body, Now));
    }

    [Fact]
    public void Tampered_body_wrong_secret_old_timestamp_and_garbage_are_rejected()
    {
        var header = HubSignature.Create("whsec_test", Body, Now);

        Assert.Equal(HubSignature.Result.Mismatch, HubSignature.Verify(header, "whsec_test", Encoding.UTF8.GetBytes("{}"), Now));
        Assert.Equal(HubSignature.Result.Mismatch, HubSignature.Verify(header, "other", Body, Now));
        Assert.Equal(HubSignature.Result.Expired, HubSignature.Verify(header, "whsec_test", Body, Now.AddMinutes(6)));
        Assert.Equal(HubSignature.Result.Missing, HubSignature.Verify(null, "whsec_test", Body, Now));
        Assert.Equal(HubSignature.Result.Malformed, HubSignature.Verify("v1=abc", "whsec_test", Body, Now));
    }

    [Fact]
    public void Any_of_several_signatures_is_accepted_during_secret_rotation()
    {
        var current = HubSignature.Create("new-secret", Body, Now);
        var previous = HubSignature.Create("old-secret", Body, Now).Split(',')[1];

        Assert.Equal(HubSignature.Result.Valid, HubSignature.Verify($"{current},{previous}", "old-secret", Body, Now));
    }
}
