using Microsoft.Extensions.Logging;
using Rebus.Logging;

namespace IntegrationHub.Hosting.Observability;

/// <summary>Sends Rebus's own log lines to Microsoft.Extensions.Logging (and so to Serilog). Same {placeholder} templates.</summary>
internal sealed class RebusLoggerFactory(ILoggerFactory loggerFactory) : AbstractRebusLoggerFactory
{
    protected override ILog GetLogger(Type type) => new Log(loggerFactory.CreateLogger(type));

    sealed class Log(ILogger logger) : ILog
    {
#pragma warning disable CA2254 // Rebus hands over its own message templates
        public void Debug(string message, params object[] objs) => logger.LogDebug(message, objs);
        public void Info(string message, params object[] objs) => logger.LogInformation(message, objs);
        public void Warn(string message, params object[] objs) => logger.LogWarning(message, objs);
        public void Warn(Exception exception, string message, params object[] objs) => logger.LogWarning(exception, message, objs);
        public void Error(string message, params object[] objs) => logger.LogError(message, objs);
        public void Error(Exception exception, string message, params object[] objs) => logger.LogError(exception, message, objs);
#pragma warning restore CA2254
    }
}
