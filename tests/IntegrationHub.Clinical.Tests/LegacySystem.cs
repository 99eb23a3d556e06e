using System.Text;
using IntegrationHub.Adapters.Mllp;

namespace IntegrationHub.Clinical.Tests;

/// <summary>A legacy system's MLLP listener: answers each control id with the codes scripted for it, in turn (AA when none left).</summary>
public sealed class LegacySystem : IMllpHandler
{
    readonly Dictionary<string, Queue<string>> _script = [];
    readonly Dictionary<string, int> _received = [];
    readonly Dictionary<string, byte[]> _bytes = [];

    public byte[] Bytes(string controlId)
    {
        lock (_script) return _bytes[controlId];
    }

    public void Script(string controlId, params string[] codes)
    {
        lock (_script) _script[controlId] = new Queue<string>(codes);
    }

    public int Received(string controlId)
    {
        lock (_script) return _received.GetValueOrDefault(controlId);
    }

    /// <summary>Every message received, whatever its control id.</summary>
    public int Total
    {
        get { lock (_script) return _received.Values.Sum(); }
    }

    /// <summary>How long it takes before it ACKs (a slow system).</summary>
    public TimeSpan Delay { get; init; }

    public async ValueTask<MllpReply> Handle(MllpConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, cancellationToken);
        var controlId = Adapters.Hl7v2.Hl7Parser.Parse(message.Span).Message!.Msh.ControlId;
        string code;
        lock (_script)
        {
            _received[controlId] = _received.GetValueOrDefault(controlId) + 1;
            _bytes[controlId] = message.ToArray();
            code = _script.TryGetValue(controlId, out var codes) && codes.Count > 0 ? codes.Dequeue() : "AA";
        }
        return MllpReply.Send(Encoding.ASCII.GetBytes(
            $"MSH|^~\\&|LIS|LAB|HUB|GOV|20261202||ACK^R01^ACK|L-{controlId}|P|2.5.1\rMSA|{code}|{controlId}\r"));
    }

    public ValueTask<MllpReply> Oversized(MllpConnection connection, ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken) =>
        ValueTask.FromResult(MllpReply.CloseConnection);
}
