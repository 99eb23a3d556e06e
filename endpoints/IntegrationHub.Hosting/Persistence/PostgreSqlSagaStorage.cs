using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using IntegrationHub.Hosting.Observability;
using Npgsql;
using NpgsqlTypes;
using Rebus.Exceptions;
using Rebus.Sagas;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Rebus saga storage on PostgreSQL that writes in the handler's unit of work (<see cref="PostgreSqlUnitOfWork"/>),
/// so that a saga step and the messages it sends commit together. Saga data is stored as JSON (<c>hub.sagas</c>)
/// so operators can read a conversation's state; correlation values are indexed in <c>hub.saga_index</c>.
/// Concurrent updates of one saga are detected by revision and surface as <see cref="ConcurrencyException"/>,
/// which Rebus retries.
/// In a unit of work the writes are deferred to its commit, where they go in one round trip with the outbox rows
/// (nothing reads them back before); the index is rewritten only when a correlation value changed.
/// </summary>
internal sealed class PostgreSqlSagaStorage(string connectionString) : ISagaStorage
{
    const string UniqueViolation = "23505";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    /// <summary>The correlation values each loaded saga had when it was read, to tell whether an update changes them.</summary>
    static readonly ConditionalWeakTable<ISagaData, ISagaData> Loaded = new();

    public async Task<ISagaData?> Find(Type sagaDataType, string propertyName, object propertyValue)
    {
        var started = Stopwatch.GetTimestamp();
        var unitOfWork = PostgreSqlUnitOfWork.Current;
        var query = new NpgsqlBatchCommand(propertyName == nameof(ISagaData.Id)
            ? "SELECT saga_type, data FROM hub.sagas WHERE id = @id"
            : """
              SELECT s.saga_type, s.data FROM hub.sagas s JOIN hub.saga_index i ON i.saga_id = s.id
              WHERE i.saga_type = @saga_type AND i.key = @key AND i.value = @value
              """);
        if (propertyName == nameof(ISagaData.Id))
            query.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = propertyValue is Guid g ? g : Guid.Parse(propertyValue.ToString()!) });
        else
        {
            query.Parameters.Add(new("saga_type", NpgsqlDbType.Text) { Value = TypeName(sagaDataType) });
            query.Parameters.Add(new("key", NpgsqlDbType.Text) { Value = propertyName });
            query.Parameters.Add(new("value", NpgsqlDbType.Text) { Value = propertyValue?.ToString() ?? "" });
        }

        // In a unit of work: with the message's inbox claim, if that is still to be made (one round trip for both).
        await using var own = unitOfWork is null ? await OwnConnection() : null;
        var (batch, reader) = unitOfWork is not null ? await unitOfWork.Query(query) : await Execute(own!, query);
        await using var _ = batch;
        await using var __ = reader;
        if (!await reader.ReadAsync()) return null;
        var storedType = Type.GetType(reader.GetString(0), throwOnError: false);
        if (storedType is null || !sagaDataType.IsAssignableFrom(storedType)) return null;
        var json = reader.GetString(1);
        var data = (ISagaData?)JsonSerializer.Deserialize(json, storedType, Json);
        if (data is not null)
            Loaded.AddOrUpdate(data, (ISagaData)JsonSerializer.Deserialize(json, storedType, Json)!);
        StepStages.Record(StepStages.SagaLoad, unitOfWork?.Endpoint, started);
        return data;
    }

    async Task<NpgsqlConnection> OwnConnection()
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    static async Task<(NpgsqlBatch, NpgsqlDataReader)> Execute(NpgsqlConnection connection, NpgsqlBatchCommand query)
    {
        var batch = new NpgsqlBatch(connection) { BatchCommands = { query } };
        return (batch, await batch.ExecuteReaderAsync());
    }

    public async Task Insert(ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties)
    {
        if (sagaData.Id == Guid.Empty) throw new InvalidOperationException($"Saga data {sagaData.GetType()} has no Id");
        if (sagaData.Revision != 0) throw new InvalidOperationException($"Saga {sagaData.Id} must have revision 0 on insert, not {sagaData.Revision}");

        var insert = new NpgsqlBatchCommand("INSERT INTO hub.sagas (id, revision, saga_type, data) VALUES (@id, 0, @saga_type, @data)");
        insert.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
        insert.Parameters.Add(new("saga_type", NpgsqlDbType.Text) { Value = TypeName(sagaData.GetType()) });
        insert.Parameters.Add(new("data", NpgsqlDbType.Jsonb) { Value = Serialize(sagaData) });
        await Write(sagaData, [(insert, null), .. IndexRows(sagaData, correlationProperties)]);
    }

    public async Task Update(ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties)
    {
        var current = sagaData.Revision;
        var update = new NpgsqlBatchCommand("UPDATE hub.sagas SET revision = @next, data = @data, updated_at = now() WHERE id = @id AND revision = @current");
        update.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
        update.Parameters.Add(new("current", NpgsqlDbType.Integer) { Value = current });
        update.Parameters.Add(new("next", NpgsqlDbType.Integer) { Value = current + 1 });
        update.Parameters.Add(new("data", NpgsqlDbType.Jsonb) { Value = Serialize(sagaData, current + 1) });
        var conflict = (int changed) => changed == 0
            ? new ConcurrencyException($"Saga {sagaData.GetType().Name} {sagaData.Id} was changed by someone else (expected revision {current})")
            : null;

        List<(NpgsqlBatchCommand, Func<int, Exception?>?)> writes = [(update, conflict)];
        var properties = correlationProperties.ToList();
        if (!Loaded.TryGetValue(sagaData, out var loaded) || !CorrelationValues(loaded, properties).SequenceEqual(CorrelationValues(sagaData, properties)))
        {
            var clear = new NpgsqlBatchCommand("DELETE FROM hub.saga_index WHERE saga_id = @id");
            clear.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
            writes.Add((clear, null));
            writes.AddRange(IndexRows(sagaData, properties));
        }
        await Write(sagaData, writes);
        sagaData.Revision = current + 1;
    }

    public async Task Delete(ISagaData sagaData)
    {
        var delete = new NpgsqlBatchCommand("DELETE FROM hub.sagas WHERE id = @id AND revision = @revision");
        delete.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
        delete.Parameters.Add(new("revision", NpgsqlDbType.Integer) { Value = sagaData.Revision });
        await Write(sagaData, [(delete, changed => changed == 0
            ? new ConcurrencyException($"Saga {sagaData.GetType().Name} {sagaData.Id} was changed or deleted by someone else")
            : null)]);
        sagaData.Revision++;
    }

    /// <summary>Deferred to the unit of work's commit; without one, run now in a transaction of their own.</summary>
    async Task Write(ISagaData sagaData, IReadOnlyList<(NpgsqlBatchCommand Command, Func<int, Exception?>? Check)> writes)
    {
        var started = Stopwatch.GetTimestamp();
        if (PostgreSqlUnitOfWork.Current is { } unitOfWork)
        {
            foreach (var (command, check) in writes)
                unitOfWork.Defer(command, check, failure => failure.SqlState == UniqueViolation ? Duplicate(sagaData, failure) : null);
            StepStages.Record(StepStages.SagaSave, unitOfWork.Endpoint, started);
            return;
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (command, _) in writes) batch.BatchCommands.Add(command);
        try
        {
            await batch.ExecuteNonQueryAsync();
        }
        catch (PostgresException exception) when (exception.SqlState == UniqueViolation)
        {
            throw Duplicate(sagaData, exception);
        }
        foreach (var (command, check) in writes)
            if (check?.Invoke((int)Math.Min(command.RecordsAffected, int.MaxValue)) is { } conflict)
                throw conflict;
        await transaction.CommitAsync();
    }

    static ConcurrencyException Duplicate(ISagaData sagaData, PostgresException exception) =>
        new(exception, $"Saga {sagaData.GetType().Name} {sagaData.Id} could not be inserted: another saga has the same id or correlation value ({exception.ConstraintName})");

    static IEnumerable<(NpgsqlBatchCommand, Func<int, Exception?>?)> IndexRows(ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties)
    {
        foreach (var (property, value) in CorrelationValues(sagaData, correlationProperties))
        {
            if (value is null) continue;
            var insert = new NpgsqlBatchCommand("INSERT INTO hub.saga_index (saga_type, key, value, saga_id) VALUES (@saga_type, @key, @value, @id)");
            insert.Parameters.Add(new("saga_type", NpgsqlDbType.Text) { Value = TypeName(sagaData.GetType()) });
            insert.Parameters.Add(new("key", NpgsqlDbType.Text) { Value = property });
            insert.Parameters.Add(new("value", NpgsqlDbType.Text) { Value = value });
            insert.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
            yield return (insert, null);
        }
    }

    static IEnumerable<(string Property, string? Value)> CorrelationValues(ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties) =>
        correlationProperties.Select(p => p.PropertyName).Where(p => p != nameof(ISagaData.Id)).Distinct()
            .Select(p => (p, ValueOf(sagaData, p)));

    /// <summary>Value of a (possibly dotted) property path, as Rebus correlates it.</summary>
    static string? ValueOf(object data, string path)
    {
        object? current = data;
        foreach (var part in path.Split('.'))
        {
            if (current is null) return null;
            current = current.GetType().GetProperty(part, BindingFlags.Public | BindingFlags.Instance)?.GetValue(current);
        }
        return current?.ToString();
    }

    static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    static string Serialize(ISagaData data) => JsonSerializer.Serialize(data, data.GetType(), Json);

    /// <summary>The data as stored at <paramref name="revision"/> (the revision is part of the JSON).</summary>
    static string Serialize(ISagaData data, int revision)
    {
        var current = data.Revision;
        data.Revision = revision;
        try
        {
            return Serialize(data);
        }
        finally
        {
            data.Revision = current;
        }
    }
}
