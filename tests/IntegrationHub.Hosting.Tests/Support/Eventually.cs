namespace IntegrationHub.Hosting.Tests.Support;

/// <summary>Waits for a condition, polling, with a deadline and a message that says what did not happen.</summary>
public static class Eventually
{
    public static async Task Until(Func<bool> condition, TimeSpan timeout, string what)
        => await Until(() => Task.FromResult(condition()), timeout, what);

    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {timeout} waiting for: {what}");
            await Task.Delay(25);
        }
    }
}
