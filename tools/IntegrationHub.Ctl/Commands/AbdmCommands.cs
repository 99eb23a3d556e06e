using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Encryption;

namespace IntegrationHub.Ctl.Commands;

/// <summary>
/// <c>hubctl abdm keys | encrypt | decrypt</c>: what NHA's fidelius-cli does, with its field names, JSON in (a file or
/// standard input) and JSON out — so an integrator can check any Fidelius payload of an ABDM exchange offline.
/// Bad input: one line naming the fields at fault (never their values), exit code 1.
/// </summary>
internal static class AbdmCommands
{
    const int MaxInputBytes = 64 * 1024 * 1024;
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Command Create()
    {
        var abdm = new Command("abdm", "ABDM: Fidelius key material, encryption and decryption (as NHA's fidelius-cli), offline");
        abdm.Subcommands.Add(CreateKeys());
        abdm.Subcommands.Add(CreateEncrypt());
        abdm.Subcommands.Add(CreateDecrypt());
        return abdm;
    }

    static Argument<string> Input(string fields) => new("input")
    {
        Description = $"A JSON object with {fields}: a file, or - for standard input (the default)",
        DefaultValueFactory = _ => "-",
    };

    static Command CreateKeys()
    {
        var command = new Command("keys", "Print a new ephemeral key pair and nonce: {privateKey, publicKey, x509PublicKey, nonce}");
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var keys = Fidelius.GenerateKeyMaterial();
            await Write(output, new JsonObject
            {
                ["privateKey"] = keys.PrivateKey,
                ["publicKey"] = keys.PublicKey,
                ["x509PublicKey"] = keys.X509PublicKey,
                ["nonce"] = keys.Nonce,
            });
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    static Command CreateEncrypt()
    {
        string[] fields = ["stringToEncrypt", "senderNonce", "requesterNonce", "senderPrivateKey", "requesterPublicKey"];
        var input = Input(string.Join(", ", fields));
        var command = new Command("encrypt", "The sender's side: prints {encryptedData}") { input };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var values = await Fields(parseResult.GetValue(input)!, fields, cancellationToken);
            var encrypted = Run(() => Fidelius.Encrypt(Encoding.UTF8.GetBytes(values[0]), values[1], values[2], values[3], values[4]));
            await Write(output, new JsonObject { ["encryptedData"] = encrypted });
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    static Command CreateDecrypt()
    {
        string[] fields = ["encryptedData", "requesterNonce", "senderNonce", "requesterPrivateKey", "senderPublicKey"];
        var input = Input(string.Join(", ", fields));
        var command = new Command("decrypt", "The requester's side: prints {decryptedData} once the authentication tag proves it unaltered") { input };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var values = await Fields(parseResult.GetValue(input)!, fields, cancellationToken);
            var plaintext = Run(() => Fidelius.Decrypt(values[0], values[1], values[2], values[3], values[4]));
            string text;
            try
            {
                text = StrictUtf8.GetString(plaintext);
            }
            catch (DecoderFallbackException)
            {
                throw new HubCtlException("decryptedData: the plaintext is not UTF-8 text (the tag matched: the data is intact but binary)", ExitCodes.Failed);
            }
            await Write(output, new JsonObject { ["decryptedData"] = text });
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    static T Run<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (FideliusException e)
        {
            throw new HubCtlException(e.Message, ExitCodes.Failed);
        }
    }

    /// <summary>The named string fields of the input object, in order; every one missing or of another type named at once.</summary>
    static async Task<string[]> Fields(string path, string[] names, CancellationToken cancellationToken)
    {
        var bytes = await InputFiles.Read(path, MaxInputBytes, cancellationToken);
        JsonObject? json;
        try
        {
            json = JsonNode.Parse(bytes) as JsonObject;
        }
        catch (JsonException)
        {
            json = null;
        }
        if (json is null)
            throw new HubCtlException($"{(path == "-" ? "standard input" : path)}: not a JSON object (expected {{{string.Join(", ", names)}}})", ExitCodes.Failed);
        var problems = new List<string>();
        var values = names.Select(name =>
        {
            if (json[name] is JsonValue value && value.TryGetValue<string>(out var text)) return text;
            problems.Add(json[name] is null ? $"{name}: missing" : $"{name}: must be a string");
            return "";
        }).ToArray();
        if (problems.Count > 0)
            throw new HubCtlException(string.Join("; ", problems), ExitCodes.Failed);
        return values;
    }

    static Task Write(TextWriter output, JsonObject json) => output.WriteLineAsync(json.ToJsonString(Indented));
}
