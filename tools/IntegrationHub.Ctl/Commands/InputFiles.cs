namespace IntegrationHub.Ctl.Commands;

/// <summary>What a command reads: a file, or standard input for <c>-</c>, up to a limit.</summary>
internal static class InputFiles
{
    public static async Task<byte[]> Read(string path, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                    throw new HubCtlException($"{path}: larger than {maxBytes} bytes", ExitCodes.Failed);
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new HubCtlException($"{path}: {e.Message}", ExitCodes.Failed);
        }
    }
}
