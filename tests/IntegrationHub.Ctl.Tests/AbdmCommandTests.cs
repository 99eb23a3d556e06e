using System.Text.Json;
using System.Text.Json.Nodes;

namespace IntegrationHub.Ctl.Tests;

/// <summary>
/// <c>hubctl abdm keys | encrypt | decrypt</c> with fidelius-cli's field names, on its published vector
/// (mgrmtech/fidelius-cli README), and what bad input gets: one line, exit code 1, no stack trace.
/// </summary>
public sealed class AbdmCommandTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("hubctl-abdm-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    string File(JsonObject json)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".json");
        System.IO.File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    static JsonObject Published() => new()
    {
        ["encryptedData"] = "pzMvVZNNVtJzqPkkxcCbBUWgDEBy/mBXIeT2dJWI16ZAQnnXUb9lI+S4k8XK6mgZSKKSRIHkcNvJpllnBg548wUgavBa0vCRRwdL6kY6Yw==",
        ["requesterNonce"] = "6uj1RdDUbcpI3lVMZvijkMC8Te20O4Bcyz0SyivX8Eg=",
        ["senderNonce"] = "lmXgblZwotx+DfBgKJF0lZXtAXgBEYr5khh79Zytr2Y=",
        ["requesterPrivateKey"] = "DMxHPri8d7IT23KgLk281zZenMfVHSdeamq0RhwlIBk=",
        ["senderPublicKey"] = "BABVt+mpRLMXiQpIfEq6bj8hlXsdtXIxLsspmMgLNI1SR5mHgDVbjHO2A+U4QlMddGzqyEidzm1AkhtSxSO2Ahg=",
    };

    [Fact]
    public async Task Decrypt_prints_the_published_plaintext_as_fidelius_cli_does()
    {
        var (code, output, error) = await Hubctl.Run("abdm", "decrypt", File(Published()));

        Assert.True(code == 0, error);
        Assert.Equal("Wormtail should never have been Potter cottage's secret keeper.", (string?)JsonNode.Parse(output)!["decryptedData"]);
    }

    [Fact]
    public async Task Keys_then_encrypt_then_decrypt_round_trip()
    {
        JsonObject Keys(string output) => JsonNode.Parse(output)!.AsObject();
        var requester = Keys((await Hubctl.Run("abdm", "keys")).Output);
        var sender = Keys((await Hubctl.Run("abdm", "keys")).Output);
        Assert.Equal(["privateKey", "publicKey", "x509PublicKey", "nonce"], requester.Select(p => p.Key));

        var (encryptCode, encrypted, encryptError) = await Hubctl.Run("abdm", "encrypt", File(new JsonObject
        {
            ["stringToEncrypt"] = """{"resourceType":"Bundle","note":"नमस्ते"}""",
            ["senderNonce"] = (string?)sender["nonce"],
            ["requesterNonce"] = (string?)requester["nonce"],
            ["senderPrivateKey"] = (string?)sender["privateKey"],
            ["requesterPublicKey"] = (string?)requester["x509PublicKey"],
        }));
        Assert.True(encryptCode == 0, encryptError);
        var (decryptCode, decrypted, decryptError) = await Hubctl.Run("abdm", "decrypt", File(new JsonObject
        {
            ["encryptedData"] = (string?)JsonNode.Parse(encrypted)!["encryptedData"],
            ["requesterNonce"] = (string?)requester["nonce"],
            ["senderNonce"] = (string?)sender["nonce"],
            ["requesterPrivateKey"] = (string?)requester["privateKey"],
            ["senderPublicKey"] = (string?)sender["publicKey"],
        }));
        Assert.True(decryptCode == 0, decryptError);
        Assert.Equal("""{"resourceType":"Bundle","note":"नमस्ते"}""", (string?)JsonNode.Parse(decrypted)!["decryptedData"]);
    }

    [Fact]
    public async Task A_tampered_payload_is_refused_in_one_line_with_exit_code_1()
    {
        var tampered = Published();
        var data = Convert.FromBase64String((string)tampered["encryptedData"]!);
        data[3] ^= 0xFF;
        tampered["encryptedData"] = Convert.ToBase64String(data);

        var (code, output, error) = await Hubctl.Run("abdm", "decrypt", File(tampered));

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Equal("hubctl: encryptedData: the authentication tag does not match: the data was altered, or the keys or nonces are not the ones it was encrypted with",
            error.Trim());
    }

    [Theory]
    [InlineData("not json", "not a JSON object")]
    [InlineData("""{"encryptedData": 5}""", "encryptedData: must be a string; requesterNonce: missing")]
    [InlineData("""{"encryptedData":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","requesterNonce":"AAAA","senderNonce":"!!","requesterPrivateKey":"AA==","senderPublicKey":"AAAA"}""",
        "senderNonce: not base64")]
    public async Task Bad_input_names_what_is_wrong_without_a_stack_trace(string input, string expected)
    {
        var path = Path.Combine(_directory, "bad.json");
        await System.IO.File.WriteAllTextAsync(path, input);

        var (code, _, error) = await Hubctl.Run("abdm", "decrypt", path);

        Assert.Equal(1, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
