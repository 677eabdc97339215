@_exported import KerasRuntime
