using Npgsql;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// For handlers that keep state of their own in PostgreSQL (request status, deliveries...): commands run in the
/// transaction of the message being handled, so the handler's writes, its saga changes and the messages it sends
/// commit together. Available in every endpoint container; usable only in PostgreSQL mode, inside a handler.
/// </summary>
public sealed class HandlerDatabase
{
    public async Task<NpgsqlCommand> Command(string sql)
    {
        var unitOfWork = PostgreSqlUnitOfWork.Current ?? throw new InvalidOperationException(
            "There is no database transaction here: HandlerDatabase works inside a message handler of an endpoint " +
            "running with Hub:Persistence=PostgreSql.");
        var (connection, transaction) = await unitOfWork.Begin();
        return new NpgsqlCommand(sql, connection, transaction);
    }
}
