using System.Buffers;

namespace IntegrationHub.Adapters.Mllp.Internals;

internal enum MllpReadKind
{
    /// <summary>A whole frame: <see cref="MllpRead.Frame"/> is valid until the next read.</summary>
    Frame,
    /// <summary>The peer closed the connection between frames.</summary>
    End,
    /// <summary>A frame over the limit, read to its end and dropped: <see cref="MllpRead.Frame"/> holds its first bytes.</summary>
    TooLarge,
    /// <summary>A byte outside a frame that is not CR or LF, or an end block not followed by CR.</summary>
    Garbage,
    /// <summary>The connection ended in the middle of a frame.</summary>
    Truncated,
}

internal readonly record struct MllpRead(MllpReadKind Kind, ReadOnlyMemory<byte> Frame);

/// <summary>
/// Reads MLLP frames (<c>0x0B</c> message <c>0x1C 0x0D</c>) from a stream into one pooled buffer that grows up to the
/// frame limit: a frame is handed out as a slice of it, nothing is copied. CR and LF between frames are skipped. A frame
/// over the limit is not kept: its first <see cref="PrefixBytes"/> are, and the rest is read and dropped up to its end.
/// Timeouts are the caller's (the token of each read).
/// </summary>
internal sealed class MllpFrameReader(Stream stream, int maxFrameBytes) : IDisposable
{
    public const byte StartBlock = 0x0B;
    public const byte EndBlock = 0x1C;
    public const byte CarriageReturn = 0x0D;
    public const int PrefixBytes = 64 * 1024;
    const int InitialBuffer = 16 * 1024;

    byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    int _start; // first unconsumed byte
    int _end;   // one past the last byte read

    /// <summary>
    /// The next frame. <paramref name="frameStarted"/> is called when a frame's start block is read, so that the caller
    /// can switch from its idle timeout to its frame timeout.
    /// </summary>
    public async ValueTask<MllpRead> Read(Action? frameStarted, CancellationToken cancellationToken)
    {
        while (true)
        {
            while (_start < _end)
            {
                var b = _buffer[_start];
                if (b is (byte)'\r' or (byte)'\n')
                {
                    _start++;
                    continue;
                }
                if (b != StartBlock) return new MllpRead(MllpReadKind.Garbage, default);
                _start++;
                frameStarted?.Invoke();
                return await ReadFrame(cancellationToken);
            }
            _start = _end = 0;
            if (!await Fill(cancellationToken)) return new MllpRead(MllpReadKind.End, default);
        }
    }

    async ValueTask<MllpRead> ReadFrame(CancellationToken cancellationToken)
    {
        var scanned = 0; // bytes of the frame (from _start) known to hold no end block
        while (true)
        {
            var at = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf(EndBlock);
            if (at >= 0)
            {
                var end = _start + scanned + at;
                if (end + 1 < _end)
                {
                    if (_buffer[end + 1] != CarriageReturn) return new MllpRead(MllpReadKind.Garbage, default);
                    var frame = _buffer.AsMemory(_start, end - _start);
                    _start = end + 2;
                    // The pool hands out larger arrays than asked for: a frame over the limit can arrive whole.
                    return frame.Length > maxFrameBytes
                        ? new MllpRead(MllpReadKind.TooLarge, frame[..Math.Min(PrefixBytes, frame.Length)].ToArray())
                        : new MllpRead(MllpReadKind.Frame, frame);
                }
                scanned = end - _start; // the end block is the last byte read: look at it again with the next one
            }
            else
            {
                scanned = _end - _start;
            }

            if (_end - _start > maxFrameBytes)
                return await Discard(cancellationToken);
            MakeRoom();
            if (!await Fill(cancellationToken)) return new MllpRead(MllpReadKind.Truncated, default);
        }
    }

    /// <summary>Keeps the frame's first bytes, then reads and drops the rest up to its end block.</summary>
    async ValueTask<MllpRead> Discard(CancellationToken cancellationToken)
    {
        var prefix = _buffer.AsSpan(_start, Math.Min(PrefixBytes, _end - _start)).ToArray();
        var previousWasEnd = _buffer[_end - 1] == EndBlock;
        _start = _end = 0;
        Shrink();
        while (true)
        {
            if (!await Fill(cancellationToken)) return new MllpRead(MllpReadKind.Truncated, default);
            for (var i = 0; i < _end; i++)
            {
                if (previousWasEnd && _buffer[i] == CarriageReturn)
                {
                    _start = i + 1;
                    return new MllpRead(MllpReadKind.TooLarge, prefix);
                }
                previousWasEnd = _buffer[i] == EndBlock;
            }
            _start = _end = 0;
        }
    }

    /// <summary>Room to read more of the current frame: move it to the front, or grow the buffer (up to the limit).</summary>
    void MakeRoom()
    {
        if (_end < _buffer.Length) return;
        var length = _end - _start;
        if (_start > 0 && length < _buffer.Length / 2)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, length);
        }
        else
        {
            var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_buffer.Length * 2, (long)maxFrameBytes + 2 + InitialBuffer));
            Buffer.BlockCopy(_buffer, _start, grown, 0, length);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }
        _start = 0;
        _end = length;
    }

    void Shrink()
    {
        if (_buffer.Length <= InitialBuffer) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    }

    async ValueTask<bool> Fill(CancellationToken cancellationToken)
    {
        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read > 0;
    }

    /// <summary>After a frame has been handled: a buffer grown for a large frame is given back.</summary>
    public void Release()
    {
        if (_start == _end)
        {
            _start = _end = 0;
            Shrink();
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    /// <summary>The frame of <paramref name="message"/>, in one array, for one write.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var frame = new byte[message.Length + 3];
        frame[0] = StartBlock;
        message.CopyTo(frame.AsSpan(1));
        frame[^2] = EndBlock;
        frame[^1] = CarriageReturn;
        return frame;
    }
}
