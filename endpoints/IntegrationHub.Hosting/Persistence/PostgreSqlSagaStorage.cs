using System.Diagnostics;
using System.Reflection;
using IntegrationHub.Hosting.Observability;
using System.Text.Json;
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
/// </summary>
internal sealed class PostgreSqlSagaStorage(string connectionString) : ISagaStorage
{
    const string UniqueViolation = "23505";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    public async Task<ISagaData?> Find(Type sagaDataType, string propertyName, object propertyValue)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await FindNow(sagaDataType, propertyName, propertyValue);
        }
        finally
        {
            StepStages.Record(StepStages.SagaLoad, PostgreSqlUnitOfWork.Current?.Endpoint, started);
        }
    }

    async Task<ISagaData?> FindNow(Type sagaDataType, string propertyName, object propertyValue)
    {
        await using var scope = await Connect();
        await using var command = scope.Command(propertyName == nameof(ISagaData.Id)
            ? "SELECT saga_type, data FROM hub.sagas WHERE id = @id"
            : """
              SELECT s.saga_type, s.data FROM hub.sagas s JOIN hub.saga_index i ON i.saga_id = s.id
              WHERE i.saga_type = @saga_type AND i.key = @key AND i.value = @value
              """);
        if (propertyName == nameof(ISagaData.Id))
            command.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = propertyValue is Guid g ? g : Guid.Parse(propertyValue.ToString()!) });
        else
        {
            command.Parameters.Add(new("saga_type", NpgsqlDbType.Text) { Value = TypeName(sagaDataType) });
            command.Parameters.Add(new("key", NpgsqlDbType.Text) { Value = propertyName });
            command.Parameters.Add(new("value", NpgsqlDbType.Text) { Value = propertyValue?.ToString() ?? "" });
        }

        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        var storedType = Type.GetType(reader.GetString(0), throwOnError: false);
        if (storedType is null || !sagaDataType.IsAssignableFrom(storedType)) return null;
        return (ISagaData?)JsonSerializer.Deserialize(reader.GetString(1), storedType, Json);
    }

    public async Task Insert(ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties)
    {
        var started = Stopwatch.GetTimestamp();
        await InsertNow(sagaData, correlationProperties);
        StepStages.Record(StepStages.SagaSave, PostgreSqlUnitOfWork.Current?.Endpoint, started);
    }

    async Task InsertNow(ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties)
    {
        if (sagaData.Id == Guid.Empty) throw new InvalidOperationException($"Saga data {sagaData.GetType()} has no Id");
        if (sagaData.Revision != 0) throw new InvalidOperationException($"Saga {sagaData.Id} must have revision 0 on insert, not {sagaData.Revision}");

        await using var scope = await Connect();
        try
        {
            await using (var insert = scope.Command("INSERT INTO hub.sagas (id, revision, saga_type, data) VALUES (@id, 0, @saga_type, @data)"))
            {
                insert.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
                insert.Parameters.Add(new("saga_type", NpgsqlDbType.Text) { Value = TypeName(sagaData.GetType()) });
                insert.Parameters.Add(new("data", NpgsqlDbType.Jsonb) { Value = Serialize(sagaData) });
                await insert.ExecuteNonQueryAsync();
            }
            await WriteIndex(scope, sagaData, correlationProperties);
        }
        catch (PostgresException exception) when (exception.SqlState == UniqueViolation)
        {
            throw new ConcurrencyException(exception, $"Saga {sagaData.GetType().Name} {sagaData.Id} could not be inserted: another saga has the same id or correlation value ({exception.ConstraintName})");
        }
        await scope.Complete();
    }

    public async Task Update(ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties)
    {
        var started = Stopwatch.GetTimestamp();
        await UpdateNow(sagaData, correlationProperties);
        StepStages.Record(StepStages.SagaSave, PostgreSqlUnitOfWork.Current?.Endpoint, started);
    }

    async Task UpdateNow(ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties)
    {
        await using var scope = await Connect();
        var current = sagaData.Revision;
        sagaData.Revision++;
        try
        {
            await using (var update = scope.Command("UPDATE hub.sagas SET revision = @next, data = @data, updated_at = now() WHERE id = @id AND revision = @current"))
            {
                update.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
                update.Parameters.Add(new("current", NpgsqlDbType.Integer) { Value = current });
                update.Parameters.Add(new("next", NpgsqlDbType.Integer) { Value = sagaData.Revision });
                update.Parameters.Add(new("data", NpgsqlDbType.Jsonb) { Value = Serialize(sagaData) });
                if (await update.ExecuteNonQueryAsync() == 0)
                    throw new ConcurrencyException($"Saga {sagaData.GetType().Name} {sagaData.Id} was changed by someone else (expected revision {current})");
            }
            await using (var clear = scope.Command("DELETE FROM hub.saga_index WHERE saga_id = @id"))
            {
                clear.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
                await clear.ExecuteNonQueryAsync();
            }
            await WriteIndex(scope, sagaData, correlationProperties);
        }
        catch
        {
            sagaData.Revision = current;
            throw;
        }
        await scope.Complete();
    }

    public async Task Delete(ISagaData sagaData)
    {
        var started = Stopwatch.GetTimestamp();
        await DeleteNow(sagaData);
        StepStages.Record(StepStages.SagaSave, PostgreSqlUnitOfWork.Current?.Endpoint, started);
    }

    async Task DeleteNow(ISagaData sagaData)
    {
        await using var scope = await Connect();
        await using (var delete = scope.Command("DELETE FROM hub.sagas WHERE id = @id AND revision = @revision"))
        {
            delete.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
            delete.Parameters.Add(new("revision", NpgsqlDbType.Integer) { Value = sagaData.Revision });
            if (await delete.ExecuteNonQueryAsync() == 0)
                throw new ConcurrencyException($"Saga {sagaData.GetType().Name} {sagaData.Id} was changed or deleted by someone else");
        }
        await scope.Complete();
        sagaData.Revision++;
    }

    static async Task WriteIndex(Scope scope, ISagaData sagaData, IEnumerable<ISagaCorrelationProperty> correlationProperties)
    {
        foreach (var property in correlationProperties.Select(p => p.PropertyName).Where(p => p != nameof(ISagaData.Id)).Distinct())
        {
            var value = ValueOf(sagaData, property);
            if (value is null) continue;
            await using var insert = scope.Command("INSERT INTO hub.saga_index (saga_type, key, value, saga_id) VALUES (@saga_type, @key, @value, @id)");
            insert.Parameters.Add(new("saga_type", NpgsqlDbType.Text) { Value = TypeName(sagaData.GetType()) });
            insert.Parameters.Add(new("key", NpgsqlDbType.Text) { Value = property });
            insert.Parameters.Add(new("value", NpgsqlDbType.Text) { Value = value });
            insert.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = sagaData.Id });
            await insert.ExecuteNonQueryAsync();
        }
    }

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

    async Task<Scope> Connect()
    {
        if (PostgreSqlUnitOfWork.Current is { } unitOfWork)
        {
            var (shared, transaction) = await unitOfWork.Begin();
            return new Scope(shared, transaction, owned: false);
        }

        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return new Scope(connection, await connection.BeginTransactionAsync(), owned: true);
    }

    /// <summary>Either the handler's unit of work (committed with its outbox) or a transaction of our own.</summary>
    sealed class Scope(NpgsqlConnection connection, NpgsqlTransaction transaction, bool owned) : IAsyncDisposable
    {
        public NpgsqlCommand Command(string sql) => new(sql, connection, transaction);

        public Task Complete() => owned ? transaction.CommitAsync() : Task.CompletedTask;

        public async ValueTask DisposeAsync()
        {
            if (!owned) return;
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
