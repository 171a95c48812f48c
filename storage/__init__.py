"""The database: connection, versioned migrations, and one repository per aggregate."""
