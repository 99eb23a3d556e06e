using System.Security.Cryptography;
using IntegrationHub.Adapters.Abdm.Encryption;

namespace IntegrationHub.Bench;

/// <summary>
/// Fidelius on a 1 MiB bundle, encrypt + decrypt on one thread, MiB/s, beside the baseline in the same run: raw
/// AES-256-GCM (encrypt + decrypt) of the same bytes with a key already derived. "fidelius-bulk" is the bulk part as a
/// transfer does it once its keys are derived — AES-GCM and base64 on the wire (<see cref="FideliusKey"/>);
/// "fidelius" adds both sides' ECDH + HKDF to every bundle. The ECDH + HKDF cost per transfer is also measured apart
/// (an empty payload) and reported in the notes. Target: fidelius-bulk ≥ 0.8x raw AES-GCM.
/// </summary>
public static class FideliusBench
{
    static readonly string[] Scenarios = ["aes-256-gcm", "fidelius-bulk", "fidelius"];
    const int Bytes = 1024 * 1024;
    const int Iterations = 40;

    public static BenchResult[] Run(BenchOptions options)
    {
        var bundle = RandomNumberGenerator.GetBytes(Bytes);
        var requester = Fidelius.GenerateKeyMaterial();
        var sender = Fidelius.GenerateKeyMaterial();
        var key = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(12);
        var sealedBytes = new byte[Bytes];
        var opened = new byte[Bytes];
        var tag = new byte[16];

        var result = new BenchResult("fidelius-1mib", "MiB/s", Scenarios)
        {
            Title = "Fidelius encrypt + decrypt of a 1 MiB bundle beside raw AES-256-GCM (MiB/s, one thread)",
        };
        var sealer = Fidelius.SenderKey(sender.Nonce, requester.Nonce, sender.PrivateKey, requester.PublicKey);
        var opener = Fidelius.RequesterKey(requester.Nonce, sender.Nonce, requester.PrivateKey, sender.PublicKey);
        var run = new Func<int>[]
        {
            () =>
            {
                using var aes = new AesGcm(key, 16);
                aes.Encrypt(iv, bundle, sealedBytes, tag);
                aes.Decrypt(iv, sealedBytes, tag, opened);
                return opened[0];
            },
            () => opener.Open(sealer.Seal(bundle))[0],
            () =>
            {
                var encrypted = Fidelius.Encrypt(bundle, sender.Nonce, requester.Nonce, sender.PrivateKey, requester.PublicKey);
                return Fidelius.Decrypt(encrypted, requester.Nonce, sender.Nonce, requester.PrivateKey, sender.PublicKey)[0];
            },
        };
        OneThreadRates.Measure(result, run, Iterations, warmup: 5, options);

        // Both sides' key agreement and derivation, as a transfer pays it once: an empty payload is nothing else.
        var perTransfer = new List<double>();
        for (var round = 0; round < options.Rounds; round++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            const int transfers = 200;
            for (var i = 0; i < transfers; i++)
            {
                var encrypted = Fidelius.Encrypt([], sender.Nonce, requester.Nonce, sender.PrivateKey, requester.PublicKey);
                Fidelius.Decrypt(encrypted, requester.Nonce, sender.Nonce, requester.PrivateKey, sender.PublicKey);
            }
            perTransfer.Add(clock.Elapsed.TotalMilliseconds / transfers);
        }
        result.Notes.Add($"{Iterations} bundles per scenario and round. fidelius-bulk / raw AES-GCM: {BenchResult.FormatRatio(result.Ratio(1))} " +
                         $"(target ≥ 0.8x); with both sides' key agreement on every bundle: {BenchResult.FormatRatio(result.Ratio(2))}. " +
                         "ECDH + HKDF, both sides, per transfer (empty payload): median " +
                         $"{Measure.Median(perTransfer):0.00} ms over {options.Rounds} rounds of 200.");
        return [result];
    }
}
