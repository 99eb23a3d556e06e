using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting.Persistence;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace IntegrationHub.Hosting.Outbound;

/// <summary>
/// One call to an external system, named so that a repeat can be recognised: <paramref name="System"/> (e.g.
/// <c>provider:civil-registry</c>) and <paramref name="Key"/>, the idempotency key the call carries (e.g. the request id).
/// </summary>
public sealed record OutboundCall(string System, string Key);

/// <summary>
/// The one way a handler calls an external system (register it with <see cref="HubEndpointBuilder.ExternalCallHandler{THandler}"/>),
/// so that no database connection or row lock is held while the system answers:
/// <list type="number">
/// <item>the attempt is recorded with its key and committed, in a short transaction of its own (which also stops a
/// message already handled);</item>
/// <item>the call is made, with no connection open;</item>
/// <item>its outcome is recorded in the handled message's transaction, together with the messages the handler sends.</item>
/// </list>
/// When the message comes back after the process died between call and record, the attempt is known: the system is asked
/// for the call's status by its key (where it offers a status query) instead of being called again.
/// In memory there is nothing to record: the call is simply made.
/// </summary>
public sealed class OutboundCalls(HandlerDatabase database, ILogger<OutboundCalls> logger)
{
    /// <param name="send">The call itself.</param>
    /// <param name="status">
    /// Asks the system what became of an earlier attempt with the same key; null when it knows nothing of it (then
    /// <paramref name="send"/> is called again). Without it, a repeated attempt simply calls again with the same key.
    /// </param>
    /// <param name="describe">How the outcome is recorded for operators (never personal data).</param>
    public async Task<T> Make<T>(OutboundCall call, Func<CancellationToken, Task<T>> send,
        Func<CancellationToken, Task<T?>>? status = null, Func<T, string>? describe = null, CancellationToken cancellationToken = default)
        where T : class
    {
        var unitOfWork = PostgreSqlUnitOfWork.Current;
        if (unitOfWork is null)
            return await send(cancellationToken);
        if (!unitOfWork.ClaimsOnBegin)
            throw new InvalidOperationException(
                $"The handler calling {call.System} holds its message's database transaction across the call: register it with " +
                "endpoint.ExternalCallHandler<THandler>() instead of Handler<THandler>().");
        if (unitOfWork.HasConnection)
            throw new InvalidOperationException(
                $"The handler calling {call.System} did database work in its message's transaction before the call, which would " +
                "hold a connection while the system answers: do it after the call, or read through a connection of its own.");

        var attempt = await RecordAttempt(unitOfWork, call, cancellationToken);
        T? result = null;
        if (attempt > 1 && status is not null)
        {
            result = await status(cancellationToken);
            if (result is not null)
                logger.LogInformation("Call {Key} to {System} was made before (attempt {Attempt}); its status was asked for instead of calling again",
                    call.Key, call.System, attempt);
        }

        if (result is null)
        {
            try
            {
                result = await send(cancellationToken);
            }
            catch (Exception exception)
            {
                await RecordFailure(unitOfWork, call, exception);
                throw;
            }
        }

        await using var record = await database.Command("""
            UPDATE hub.outbound_calls SET state = 'done', finished_at = now(), outcome = @outcome, last_error = NULL
            WHERE endpoint = @endpoint AND call_key = @key
            """);
        record.Parameters.AddWithValue("endpoint", unitOfWork.Endpoint);
        record.Parameters.AddWithValue("key", call.Key);
        record.Parameters.AddWithValue("outcome", (object?)describe?.Invoke(result) ?? DBNull.Value);
        await record.ExecuteNonQueryAsync(cancellationToken);
        return result;
    }

    /// <summary>Commits the attempt (T1); returns its number. A message handled before stops here.</summary>
    static async Task<int> RecordAttempt(PostgreSqlUnitOfWork unitOfWork, OutboundCall call, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(unitOfWork.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        // No row when the message was handled before (its id is in the inbox): then nothing is recorded.
        await using var upsert = new NpgsqlCommand("""
            INSERT INTO hub.outbound_calls (endpoint, call_key, system, state, attempts, first_attempt_at, last_attempt_at)
            SELECT @endpoint, @key, @system, 'calling', 1, now(), now()
            WHERE NOT EXISTS (SELECT 1 FROM hub.inbox WHERE endpoint = @endpoint AND message_id = @message)
            ON CONFLICT (endpoint, call_key) DO UPDATE
                SET attempts = outbound_calls.attempts + 1, last_attempt_at = now(), state = 'calling'
            RETURNING attempts
            """, connection);
        upsert.Parameters.AddWithValue("endpoint", unitOfWork.Endpoint);
        upsert.Parameters.AddWithValue("key", call.Key);
        upsert.Parameters.AddWithValue("system", call.System);
        upsert.Parameters.AddWithValue("message", unitOfWork.MessageId);

        await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new MessageAlreadyHandledException(unitOfWork.MessageId, unitOfWork.Endpoint);
        return reader.GetInt32(0);
    }

    /// <summary>Best effort, for operators: the handler's exception goes on to the bus's retries either way.</summary>
    async Task RecordFailure(PostgreSqlUnitOfWork unitOfWork, OutboundCall call, Exception failure)
    {
        try
        {
            await using var connection = new NpgsqlConnection(unitOfWork.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "UPDATE hub.outbound_calls SET state = 'failed', last_error = @error WHERE endpoint = @endpoint AND call_key = @key", connection);
            command.Parameters.AddWithValue("error", OperatorErrors.Describe(failure));
            command.Parameters.AddWithValue("endpoint", unitOfWork.Endpoint);
            command.Parameters.AddWithValue("key", call.Key);
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Could not record the failed call {Key} to {System}", call.Key, call.System);
        }
    }
}
