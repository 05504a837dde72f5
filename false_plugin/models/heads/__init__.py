from .fn_contrastive_head import (DEFAULT_TEMPERATURE, LOG_PREFIX, FNCCHead,
                                  FNContrastiveHead, log_entries)

__all__ = [
    'FNContrastiveHead', 'FNCCHead', 'DEFAULT_TEMPERATURE', 'LOG_PREFIX',
    'log_entries'
]
