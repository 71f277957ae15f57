import { libraryConfig } from '../../tsup.config.base';

export default libraryConfig;
