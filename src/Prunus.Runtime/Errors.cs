namespace Prunus;

/// <summary>Base of every error Prunus reports for bad input; its message says what is wrong, where, and what to do.</summary>
public class PrunusException : Exception
{
    public PrunusException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A model that cannot be read, planned or run: bad file, unsupported op, inconsistent shapes.</summary>
public class ModelException : PrunusException
{
    public ModelException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Data that cannot be read or does not fit: corrupt dataset files, wrong tensor shapes.</summary>
public class DataException : PrunusException
{
    public DataException(string message, Exception? inner = null) : base(message, inner) { }
}
