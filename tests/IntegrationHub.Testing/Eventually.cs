using System.Diagnostics;

namespace IntegrationHub.Testing;

/// <summary>Polls a condition with short delays until it holds; throws a clear <see cref="TimeoutException"/> otherwise.</summary>
public static class Eventually
{
    public static Task Until(Func<bool> condition, TimeSpan timeout, string because) =>
        Until(() => Task.FromResult(condition()), timeout, because);

    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var stopwatch = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(10);
        Exception? lastError = null;

        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false)) return;
                lastError = null;
            }
            catch (Exception exception)
            {
                lastError = exception;
            }

            if (stopwatch.Elapsed >= timeout)
            {
                var message = $"Timed out after {timeout.TotalSeconds:0.#} s waiting until {because}";
                throw lastError == null
                    ? new TimeoutException(message)
                    : new TimeoutException($"{message} (last attempt threw {lastError.GetType().Name}: {lastError.Message})", lastError);
            }

            await Task.Delay(delay).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
        }
    }
}
