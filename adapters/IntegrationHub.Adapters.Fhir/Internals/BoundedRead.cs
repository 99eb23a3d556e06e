namespace IntegrationHub.Adapters.Fhir.Internals;

static class BoundedRead
{
    /// <summary>The whole stream, or null as soon as it passes <paramref name="maxBytes"/> (the rest is not read).</summary>
    public static ReadOnlyMemory<byte>? ReadAll(Stream body, long maxBytes)
    {
        if (body.CanSeek && body.Length - body.Position > maxBytes)
            return null;
        var buffer = new MemoryStream(body.CanSeek ? (int)Math.Min(body.Length - body.Position, maxBytes) : 64 * 1024);
        var chunk = new byte[81920];
        int read;
        while ((read = body.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
